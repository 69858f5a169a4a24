/** Shapes shared by drift injection, detection and repair. */

/** How a live resource differs from its template (what DescribeStackResourceDrifts reports). */
export interface ResourceDrift {
  /** Top-level property name, e.g. `IsLogging`. */
  property: string;
  /** JSON of the value the template expects (filled from the template when omitted). */
  expected?: string;
  /** JSON of the value found in the "live" resource. */
  actual: string;
  /** The physical resource was deleted out of band. */
  deleted?: boolean;
}
