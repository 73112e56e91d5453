/**
 * Token buckets for the flood budgets of `Http2Limits`: rapid reset (CVE-2023-44487), control frames
 * (CVE-2019-9512/9515) and empty frames (CVE-2019-9518). No clock inside: time arrives with each `take`.
 */

/** Token bucket for flood budgets: `burst` tokens, refilled at `perSecond` when time is known. */
export class Budget {
  tokens: number;
  lastMs: number | undefined = undefined;
  readonly burst: number;
  readonly perSecond: number;
  constructor(burst: number, perSecond: number) {
    this.burst = burst;
    this.perSecond = perSecond;
    this.tokens = burst;
  }
  /** Takes one token; false when the budget is spent. */
  take(nowMs: number | undefined): boolean {
    if (nowMs !== undefined) {
      if (this.lastMs !== undefined && nowMs > this.lastMs) {
        this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) * this.perSecond) / 1000);
      }
      this.lastMs = nowMs;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
