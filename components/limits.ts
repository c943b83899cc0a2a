/** The largest value of a Kubernetes integer field (int32): replicas, ports, seconds. */
export const INT32_MAX = 2_147_483_647;

/**
 * Longest pod termination grace period the component accepts, in seconds: a pod that may take longer to
 * stop holds node drains and every rollout for that long, which no HTTP service's drain needs.
 */
export const MAX_GRACE_PERIOD_SECONDS = 3600;

/** The most a ConfigMap's or Secret's data may hold, in bytes (Kubernetes refuses larger objects). */
export const MAX_OBJECT_DATA_BYTES = 1024 * 1024;
