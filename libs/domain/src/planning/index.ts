export type { ChangeEffect, FieldChange, ObjectPlan, PlanAction, PlanResource } from './types';
export { hasChanges, mayNeedMigration, needsRestart, planBatch, planEffect, planKey, planObject, SENSITIVE_MASK, summarizePlans, type PlanSummary } from './plan';
export { formatPlan, formatSummary, formatValue } from './format';
export { strongestEffect } from './effects';
export { withSpecDefaults } from './defaults';
