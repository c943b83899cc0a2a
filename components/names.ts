/** A Kubernetes DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric, at most 63 characters. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes DNS-1035 label (Service names): like DNS-1123 but must start with a letter. */
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Environment variable names accepted everywhere (POSIX shells, older Kubernetes, envFrom): a C identifier. */
export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A Kubernetes label value: empty, or up to 63 alphanumerics, '-', '_', '.', beginning and ending alphanumeric. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A Kubernetes label key: optional DNS-1123 subdomain prefix and '/', then a name of up to 63 characters. */
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** An OCI image reference pinned by digest: `repository@sha256:<64 hex>`. */
export const DIGEST_PINNED_IMAGE =
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}$/;

/** A Docker image tag. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Longest component name: Kubernetes auto-naming appends `-` and 8 characters to a 63-character label. */
export const MAX_NAME_LENGTH = 54;

/** Build-arg names that suggest a secret; build args end up in the image history. */
export const SECRET_LIKE_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_?KEY)/i;
