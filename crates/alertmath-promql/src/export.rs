//! The alerting rule and its `promtool test rules` file, as YAML text.

use crate::eval::Labels;
use crate::twin::fmt_duration;
use crate::Version;

/// What the two files are written from.
#[derive(Debug)]
pub struct Export<'a> {
    pub lesson: &'a str,
    pub alert: &'a str,
    /// The query with its variables substituted.
    pub expr: &'a str,
    pub for_ms: i64,
    pub summary: &'a str,
    pub version: Version,
    pub interval_ms: i64,
    /// Series descriptor and values in promtool's notation.
    pub series: &'a [(String, String)],
    /// At each checked evaluation time, the label sets of the alerts firing.
    pub firing: Vec<(i64, Vec<Labels>)>,
}

/// A YAML double-quoted string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn single_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Export<'_> {
    fn rule_file(&self) -> String {
        format!("{}.rules.yml", self.lesson)
    }

    /// The rule file: one group, one alerting rule.
    pub fn rule_yaml(&self) -> String {
        let mut y = String::new();
        y.push_str(&format!(
            "# Alerting rule written by alertmath from the lesson “{}” ({} semantics).\n# Check it with: promtool check rules {}\n",
            self.lesson,
            self.version.label(),
            self.rule_file()
        ));
        y.push_str("groups:\n");
        y.push_str(&format!("  - name: {}\n", quote(&format!("alertmath-{}", self.lesson))));
        y.push_str(&format!("    interval: {}\n", fmt_duration(self.interval_ms)));
        y.push_str("    rules:\n");
        y.push_str(&format!("      - alert: {}\n", self.alert));
        y.push_str("        expr: |-\n");
        for line in self.expr.trim().lines() {
            y.push_str(&format!("          {}\n", line.trim_end()));
        }
        if self.for_ms > 0 {
            y.push_str(&format!("        for: {}\n", fmt_duration(self.for_ms)));
        }
        y.push_str("        labels:\n          severity: warning\n");
        y.push_str("        annotations:\n");
        y.push_str(&format!("          summary: {}\n", quote(self.summary)));
        y
    }

    /// The unit-test file: the reader's data as input series and, at each evaluation
    /// time, the alerts the query fires.
    pub fn test_yaml(&self) -> String {
        let mut y = String::new();
        y.push_str(&format!(
            "# Unit test written by alertmath: the lesson's data and the alerts the rule fires on it\n# under {} semantics. Run, beside {}: promtool test rules {}.test.yml\n",
            self.version.label(),
            self.rule_file(),
            self.lesson
        ));
        if self.version == Version::V3 {
            y.push_str("# promtool 2.x closes range windows on the left; a sample exactly at the window's start\n# can then change a result. Export with the 2.x setting to test with promtool 2.\n");
        }
        y.push_str(&format!(
            "rule_files:\n  - {}\nevaluation_interval: {}\ntests:\n",
            self.rule_file(),
            fmt_duration(self.interval_ms)
        ));
        y.push_str(&format!("  - interval: {}\n    input_series:\n", fmt_duration(self.interval_ms)));
        if self.series.is_empty() {
            y.push_str("      []\n");
        }
        for (d, v) in self.series {
            y.push_str(&format!("      - series: {}\n        values: {}\n", single_quote(d), single_quote(v)));
        }
        y.push_str("    alert_rule_test:\n");
        if self.firing.is_empty() || self.series.is_empty() {
            y.push_str("      []\n");
        }
        if !self.series.is_empty() {
            for (t, alerts) in &self.firing {
                y.push_str(&format!("      - eval_time: {}\n        alertname: {}\n", fmt_duration(*t), self.alert));
                if alerts.is_empty() {
                    y.push_str("        exp_alerts: []\n");
                    continue;
                }
                y.push_str("        exp_alerts:\n");
                for labels in alerts {
                    y.push_str("          - exp_labels:\n              severity: warning\n");
                    for (k, v) in &labels.0 {
                        if k != "severity" && k != "alertname" {
                            y.push_str(&format!("              {}: {}\n", k, quote(v)));
                        }
                    }
                    y.push_str(&format!(
                        "            exp_annotations:\n              summary: {}\n",
                        quote(self.summary)
                    ));
                }
            }
        }
        y
    }
}
