//! Table tests for configuration parsing. They feed `(name, value)` pairs to the pure
//! parser and never touch the process environment.

use std::ffi::OsString;
use std::num::NonZeroUsize;
use std::os::unix::ffi::OsStringExt;
use std::time::Duration;

use rust_service::Config;

fn parse(vars: &[(&str, &str)]) -> Result<Config, rust_service::config::ConfigError> {
    Config::from_vars(vars.iter().copied())
}

#[test]
fn no_variables_give_the_documented_defaults() {
    let config = parse(&[]).expect("defaults are valid");

    assert_eq!(
        config,
        Config {
            port: 8080,
            log_filter: "info".to_owned(),
            greeting: "Hello from rust-service".to_owned(),
            drain_delay: Duration::from_secs(5),
            shutdown_deadline: Duration::from_secs(20),
            request_timeout: Duration::from_secs(10),
            body_limit: 1_048_576,
            worker_threads: None,
            idle_timeout: Duration::from_secs(75),
        }
    );
}

#[test]
fn every_variable_is_read() {
    let config = parse(&[
        ("PORT", "9000"),
        ("LOG_LEVEL", "debug"),
        ("GREETING", "hi from staging"),
        ("DRAIN_DELAY_SECONDS", "0.25"),
        ("SHUTDOWN_DEADLINE_SECONDS", "2.5"),
        ("REQUEST_TIMEOUT_SECONDS", "1"),
        ("BODY_LIMIT_BYTES", "4096"),
        ("TOKIO_WORKER_THREADS", "3"),
    ])
    .expect("valid");

    assert_eq!(
        config,
        Config {
            port: 9000,
            log_filter: "debug".to_owned(),
            greeting: "hi from staging".to_owned(),
            drain_delay: Duration::from_millis(250),
            shutdown_deadline: Duration::from_millis(2500),
            request_timeout: Duration::from_secs(1),
            body_limit: 4096,
            worker_threads: NonZeroUsize::new(3),
            ..Config::default()
        }
    );
}

#[test]
fn accepted_values_parse_to_the_expected_settings() {
    type Check = fn(&Config) -> bool;
    let cases: &[(&str, &str, Check)] = &[
        ("PORT", "1", |c| c.port == 1),
        ("PORT", "65535", |c| c.port == 65535),
        ("PORT", " 8081 ", |c| c.port == 8081),
        ("LOG_LEVEL", "WARN", |c| c.log_filter == "WARN"),
        ("LOG_LEVEL", "off", |c| c.log_filter == "off"),
        ("LOG_LEVEL", "info,rust_service=debug", |c| {
            c.log_filter == "info,rust_service=debug"
        }),
        ("LOG_LEVEL", "warn,tower_http=trace,", |c| {
            c.log_filter == "warn,tower_http=trace,"
        }),
        ("GREETING", "", |c| c.greeting.is_empty()),
        ("DRAIN_DELAY_SECONDS", "0", |c| c.drain_delay.is_zero()),
        ("SHUTDOWN_DEADLINE_SECONDS", "0.0", |c| {
            c.shutdown_deadline.is_zero()
        }),
        ("REQUEST_TIMEOUT_SECONDS", "0.001", |c| {
            c.request_timeout == Duration::from_millis(1)
        }),
        ("BODY_LIMIT_BYTES", "1", |c| c.body_limit == 1),
        ("TOKIO_WORKER_THREADS", "1", |c| {
            c.worker_threads.map(NonZeroUsize::get) == Some(1)
        }),
    ];
    for (name, value, check) in cases {
        let config = parse(&[(name, value)])
            .unwrap_or_else(|e| panic!("{name}={value:?} should be accepted: {e}"));
        assert!(check(&config), "{name}={value:?} gave {config:?}");
    }
}

#[test]
fn bad_values_are_rejected_with_a_message_naming_the_variable_value_and_rule() {
    const PORT: &str = "an integer from 1 to 65535";
    const LEVEL: &str = "a level (trace, debug, info, warn, error, off)";
    const SECONDS: &str = "a non-negative decimal number of seconds";
    const TIMEOUT: &str = "a decimal number of seconds greater than 0";
    const BYTES: &str = "an integer number of bytes greater than 0";
    const THREADS: &str = "an integer number of threads greater than 0";
    const HUGE: &str = "99999999999999999999999";
    let cases: &[(&str, &str, &str)] = &[
        ("PORT", "abc", PORT),
        ("PORT", "0", PORT),
        ("PORT", "65536", PORT),
        ("PORT", "-1", PORT),
        ("PORT", "+80", PORT),
        ("PORT", "80.0", PORT),
        ("PORT", "", PORT),
        ("LOG_LEVEL", "verbose", LEVEL),
        ("LOG_LEVEL", "info,loud", LEVEL),
        ("LOG_LEVEL", "rust_service=loud", LEVEL),
        ("LOG_LEVEL", "", LEVEL),
        ("LOG_LEVEL", " , ", LEVEL),
        ("DRAIN_DELAY_SECONDS", "-1", SECONDS),
        ("DRAIN_DELAY_SECONDS", "five", SECONDS),
        ("DRAIN_DELAY_SECONDS", "5s", SECONDS),
        ("DRAIN_DELAY_SECONDS", "1e3", SECONDS),
        ("DRAIN_DELAY_SECONDS", "NaN", SECONDS),
        ("SHUTDOWN_DEADLINE_SECONDS", "-0.5", SECONDS),
        ("SHUTDOWN_DEADLINE_SECONDS", "inf", SECONDS),
        ("SHUTDOWN_DEADLINE_SECONDS", ".5", SECONDS),
        ("SHUTDOWN_DEADLINE_SECONDS", "1.", SECONDS),
        ("SHUTDOWN_DEADLINE_SECONDS", HUGE, SECONDS),
        ("REQUEST_TIMEOUT_SECONDS", "0", TIMEOUT),
        ("REQUEST_TIMEOUT_SECONDS", "0.000", TIMEOUT),
        ("REQUEST_TIMEOUT_SECONDS", "-3", TIMEOUT),
        ("BODY_LIMIT_BYTES", "0", BYTES),
        ("BODY_LIMIT_BYTES", "1MB", BYTES),
        ("BODY_LIMIT_BYTES", "1.5", BYTES),
        ("BODY_LIMIT_BYTES", "-5", BYTES),
        ("BODY_LIMIT_BYTES", HUGE, BYTES),
        ("TOKIO_WORKER_THREADS", "0", THREADS),
        ("TOKIO_WORKER_THREADS", "two", THREADS),
        ("TOKIO_WORKER_THREADS", "-1", THREADS),
    ];
    for (name, value, rule) in cases {
        let error =
            parse(&[(name, value)]).expect_err(&format!("{name}={value:?} should be rejected"));

        let message = error.to_string();
        assert_eq!(error.variable, *name);
        assert!(
            message.starts_with(&format!("invalid {name}=")),
            "{message}"
        );
        assert!(message.contains(&format!("{value:?}")), "{message}");
        assert!(message.contains(rule), "{name}={value:?}: {message}");
        assert!(!message.contains('\n'), "{message}");
    }
}

#[test]
fn a_value_with_a_newline_is_reported_on_one_line() {
    let error = parse(&[("PORT", "80\n81")]).expect_err("rejected");

    assert_eq!(
        error.to_string(),
        r#"invalid PORT="80\n81": expected an integer from 1 to 65535"#
    );
}

#[test]
fn a_non_utf8_value_of_a_known_variable_is_rejected() {
    let vars = [(
        OsString::from("GREETING"),
        OsString::from_vec(vec![0x66, 0xff]),
    )];

    let error = Config::from_vars(vars).expect_err("rejected");

    assert_eq!(error.variable, "GREETING");
    assert!(error.to_string().contains("any UTF-8 text"), "{error}");
}

#[test]
fn unknown_variables_are_ignored_even_when_not_utf8() {
    let vars = [
        (OsString::from("APP_FOO"), OsString::from("bar")),
        (OsString::from("APP_PORT"), OsString::from("not a port")),
        (OsString::from("port"), OsString::from("not a port either")),
        (
            OsString::from_vec(vec![0xff]),
            OsString::from_vec(vec![0xfe]),
        ),
        (OsString::from("PORT"), OsString::from("9090")),
    ];

    let config = Config::from_vars(vars).expect("unknown variables are ignored");

    assert_eq!(config.port, 9090);
}

#[test]
fn the_last_duplicate_of_a_variable_wins() {
    let config = parse(&[("PORT", "abc"), ("PORT", "8081")]).expect("last value is valid");

    assert_eq!(config.port, 8081);
}

#[test]
fn the_worker_count_is_the_setting_or_the_available_cpus() {
    let set = parse(&[("TOKIO_WORKER_THREADS", "1")]).expect("valid");
    let unset = parse(&[]).expect("valid");

    assert_eq!(set.worker_count().get(), 1);
    assert_eq!(
        unset.worker_count(),
        std::thread::available_parallelism().expect("known on Linux")
    );
}

/// Non-comment lines of a fixture file, split at the first `sep`.
fn table(text: &str, sep: char) -> Vec<(&str, &str)> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| line.split_once(sep).expect("every line has a separator"))
        .collect()
}

#[test]
fn defaults_env_lists_exactly_the_built_in_defaults() {
    let vars = table(include_str!("../../defaults.env"), '=');

    let config = parse(&vars).expect("the defaults are valid");

    assert_eq!(config, Config::default());
    let names: Vec<&str> = vars.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        [
            "PORT",
            "LOG_LEVEL",
            "GREETING",
            "DRAIN_DELAY_SECONDS",
            "SHUTDOWN_DEADLINE_SECONDS",
            "REQUEST_TIMEOUT_SECONDS",
            "BODY_LIMIT_BYTES",
        ]
    );
}

#[test]
fn log_filters_are_accepted_or_rejected_as_the_shared_table_says() {
    for (verdict, value) in table(include_str!("../log_filters.txt"), '\t') {
        let accepted = parse(&[("LOG_LEVEL", value)]).is_ok();

        assert_eq!(
            (value, accepted),
            (value, verdict == "accept"),
            "LOG_LEVEL={value:?}"
        );
    }
}
