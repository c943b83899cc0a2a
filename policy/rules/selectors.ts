/**
 * Kubernetes label selector semantics
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors),
 * with a third answer for selectors Pulumi cannot know yet during preview.
 */
import { asArray, asRecord, isUnknown, UNKNOWN } from "./types";

/** Result of matching: yes, no, or cannot tell yet. */
export type Match = boolean | typeof UNKNOWN;

/** Matches a plain `key: value` selector (a Service's `spec.selector`) against pod labels. */
export function mapSelectorMatches(selector: Record<string, unknown>, labels: Record<string, string>): Match {
    let unknown = false;
    for (const [key, value] of Object.entries(selector)) {
        if (isUnknown(value)) {
            unknown = true;
        } else if (labels[key] !== value) {
            return false;
        }
    }
    return unknown ? UNKNOWN : true;
}

/**
 * Matches a `LabelSelector` (`matchLabels` + `matchExpressions`) against pod labels. `undefined`
 * (a null selector) matches nothing; `{}` matches everything, as for a policy/v1 PodDisruptionBudget.
 */
export function labelSelectorMatches(selector: unknown, labels: Record<string, string>): Match {
    if (isUnknown(selector)) {
        return UNKNOWN;
    }
    const record = asRecord(selector);
    if (record === undefined) {
        return false;
    }
    if (isUnknown(record.matchLabels) || isUnknown(record.matchExpressions)) {
        return UNKNOWN;
    }
    let result: Match = mapSelectorMatches(asRecord(record.matchLabels) ?? {}, labels);
    if (result === false) {
        return false;
    }
    for (const entry of asArray(record.matchExpressions)) {
        const expression = asRecord(entry);
        if (expression === undefined) {
            continue;
        }
        const { key, operator } = expression;
        const values = asArray(expression.values);
        if (typeof key !== "string" || typeof operator !== "string" || values.some(isUnknown)) {
            result = UNKNOWN;
            continue;
        }
        const has = Object.prototype.hasOwnProperty.call(labels, key);
        const matches =
            operator === "In"
                ? has && values.includes(labels[key])
                : operator === "NotIn"
                  ? !has || !values.includes(labels[key])
                  : operator === "Exists"
                    ? has
                    : operator === "DoesNotExist"
                      ? !has
                      : false;
        if (!matches) {
            return false;
        }
    }
    return result;
}
