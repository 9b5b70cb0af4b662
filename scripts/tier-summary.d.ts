// Types of tier-summary.js for test/tier-summary.spec.ts.
export interface TierReport { files: { path: string; project: string; execError: boolean; tests: { status: string; titles: string[] }[] }[] }
export interface TierRow { tier: string; passed: number; failed: number; skipped: number; brokenFiles: number; projects: Set<string> }
export interface Skip { tier: string; file: string; reason: string; count: number }
export interface Summary { tiers: TierRow[]; skips: Skip[] }
export const SKIP_MARK: string;
export function skipReason(titles: string[]): string | undefined;
export function summarize(report: TierReport, root?: string): Summary;
export function formatSummary(summary: Summary): string[];
export function ciProblems(summary: Summary, o: { machineTiers: string[] | undefined; fullRun: boolean }): string[];
