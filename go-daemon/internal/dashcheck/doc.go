// Package dashcheck checks vigia's Grafana dashboards the way Grafana would
// run them: it reads the provisioned dashboard files, takes each target's query,
// expands $__from, $__to and the macros of the frser-sqlite-datasource plugin
// exactly as the plugin does, runs the result against a real SQLite database and
// judges the rows by what the panel type needs (a time and a number for a time
// series, a label and a number for a pie chart or a bar gauge, and so on).
//
// The package's tests do that against a database written by the daemon's own
// store package with a simulated hour of a busy host (its daemon runs with
// caps on and judges patterns with the policy's own Detect, so removals carry
// patterns and caps are applied), so a query that errors,
// finds nothing, returns times outside the dashboard's range or in
// milliseconds, or lacks a column its panel needs fails the test suite before a
// user opens Grafana.
//
// Limitations: only what the plugin does on the server is reproduced. Template
// variables other than $__from and $__to are refused (the dashboards define
// none), and $__timeFilter is refused because not every release of the plugin
// has it.
package dashcheck
