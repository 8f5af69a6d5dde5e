//! What a seeded desk is made of: names to draw from, and the planned life of each kind
//! of ticket.

use super::*;

pub(super) const SERVICES: &[&str] = &[
    "online-shop",
    "payments",
    "email",
    "vpn",
    "intranet",
    "hr-portal",
    "crm",
    "erp",
    "wiki",
    "build-farm",
    "video-calls",
    "file-share",
    "identity",
    "monitoring",
    "data-warehouse",
    "support-portal",
];
pub(super) const APPS: &[&str] = &[
    "api",
    "web",
    "worker",
    "gateway",
    "scheduler",
    "search",
    "cache",
    "auth",
];
pub(super) const SYMPTOMS: &[&str] = &[
    "is down",
    "is slow",
    "times out",
    "returns error 500",
    "rejects logins",
    "drops connections",
    "shows stale data",
    "fills its disk",
    "runs out of memory",
    "certificate expired",
    "cannot reach the database",
    "queue is backing up",
    "high CPU",
    "fails health check",
    "crashes on start",
    "prints garbled reports",
];
pub(super) const REQUESTS: &[&str] = &[
    "Access to",
    "New account for",
    "Password reset for",
    "More storage on",
    "VPN token for",
    "Laptop for",
    "Licence for",
    "Report from",
    "Mailing list on",
    "Firewall opening for",
];
pub(super) const PEOPLE: &[&str] = &[
    "Ana", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal", "Lena", "Mateo",
    "Nora", "Olu", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yara", "Zoë",
];
pub(super) const OPERATORS: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "gina", "hal", "ivy", "jack", "kim", "leo", "mia", "ned", "olga",
    "pat", "quinn", "raj", "sam", "tess", "uri", "val", "walt", "xena",
];
pub(super) const WORDS: &[&str] = &[
    "users report",
    "since the last deploy",
    "only from the branch office",
    "after the nightly backup",
    "intermittently",
    "for everyone in finance",
    "on Monday mornings",
    "when the load balancer fails over",
    "with a timeout in the logs",
    "and the dashboard is red",
    "after the password change",
    "over Wi-Fi only",
];
pub(super) const TEAMS: &[&str] = &["service-desk", "network", "platform", "database", "apps", "security"];
pub(super) const CATEGORIES: &[&str] = &[
    "network", "hardware", "software", "access", "database", "email", "storage",
];

pub(super) struct Gen {
    pub(super) rng: fastrand::Rng,
}

impl Gen {
    pub(super) fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[self.rng.usize(..xs.len())]
    }
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }
    pub(super) fn minutes(&mut self, lo: i64, hi: i64) -> Duration {
        Duration::minutes(self.rng.i64(lo..=hi))
    }
}

/// One step of a ticket's life: a transition with the fields and note it needs.
pub(super) enum Step {
    Move(&'static str, Vec<(String, String)>, Option<String>),
}

pub(super) fn mv(name: &'static str, fields: &[(&str, String)]) -> Step {
    Step::Move(
        name,
        fields.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect(),
        None,
    )
}

pub(super) fn mv_note(name: &'static str, note: &str) -> Step {
    Step::Move(name, Vec::new(), Some(note.to_string()))
}

/// The whole planned life of a ticket of this kind; the seeder stops somewhere along it.
pub(super) fn script(
    g: &mut Gen,
    kind: Kind,
    change_type: Option<ChangeType>,
    start: DateTime<Utc>,
    assignee: &str,
) -> Vec<Step> {
    let who = assignee.to_string();
    let resolution = || format!("{} {}", "Fixed:", "restarted the service and cleared the queue");
    match kind {
        Kind::Incident => {
            if g.chance(0.05) {
                return vec![mv_note("cancel", "duplicate of an earlier call")];
            }
            let mut s = vec![mv("assign", &[("assignee", who)])];
            if g.chance(0.25) {
                let reason = g.pick(&[
                    "awaiting_caller",
                    "awaiting_vendor",
                    "awaiting_change",
                    "awaiting_problem",
                ]);
                s.push(mv("pend", &[("pending_reason", reason.into())]));
                s.push(mv("resume", &[]));
            }
            let code = g.pick(&[
                "fixed",
                "fixed",
                "fixed",
                "workaround",
                "no_fault_found",
                "user_error",
                "duplicate",
            ]);
            s.push(mv(
                "resolve",
                &[("resolution_code", code.into()), ("resolution_note", resolution())],
            ));
            if g.chance(0.04) {
                s.push(mv_note("reopen", "happened again the next morning"));
                s.push(mv(
                    "resolve",
                    &[("resolution_code", "fixed".into()), ("resolution_note", resolution())],
                ));
            }
            s.push(mv("close", &[]));
            s
        }
        Kind::Request => {
            let mut s = Vec::new();
            if g.chance(0.3) {
                s.push(mv("submit_for_approval", &[]));
                if g.chance(0.08) {
                    s.push(mv_note("reject", "not in this quarter's budget"));
                    return s;
                }
                s.push(mv("approve", &[]));
            }
            s.push(mv("assign", &[("assignee", who)]));
            s.push(mv(
                "resolve",
                &[("resolution_note", "Done and confirmed with the requester".into())],
            ));
            s.push(mv("close", &[]));
            s
        }
        Kind::Problem => {
            let mut s = vec![mv("assign", &[("assignee", who)])];
            if g.chance(0.6) {
                s.push(mv(
                    "record_known_error",
                    &[
                        ("root_cause", "A connection pool too small for peak load".into()),
                        (
                            "workaround",
                            "Restart the application service; it recovers for a day".into(),
                        ),
                    ],
                ));
            }
            s.push(mv(
                "resolve",
                &[(
                    "resolution_note",
                    "Pool size raised by CHG; no recurrence in 30 days".into(),
                )],
            ));
            s.push(mv("close", &[]));
            s
        }
        Kind::Change => {
            let ps = start + Duration::days(g.rng.i64(1..=14)) + Duration::hours(g.rng.i64(0..=23));
            let pe = ps + Duration::hours(g.rng.i64(1..=4));
            let plan = |with_risk: bool, g: &mut Gen| {
                let mut f = vec![
                    (
                        "implementation_plan".to_string(),
                        "1. drain node 2. apply 3. verify 4. undrain".to_string(),
                    ),
                    ("planned_start".to_string(), rules::format_time(ps)),
                    ("planned_end".to_string(), rules::format_time(pe)),
                ];
                if with_risk {
                    f.push(("risk".into(), g.pick(&["low", "low", "medium", "high"]).into()));
                    f.push(("backout_plan".into(), "Restore the snapshot taken in step 1".into()));
                }
                f
            };
            let mut s = match change_type.unwrap_or(ChangeType::Normal) {
                ChangeType::Standard => vec![Step::Move("schedule", plan(false, g), None)],
                ChangeType::Normal => vec![
                    Step::Move("submit", plan(true, g), None),
                    mv("request_approval", &[]),
                    mv_note("approve", "Approved at CAB"),
                ],
                ChangeType::Emergency => {
                    vec![
                        Step::Move("submit", plan(true, g), None),
                        mv_note("approve", "Approved by ECAB"),
                    ]
                }
            };
            if g.chance(0.03) {
                s.push(mv_note("cancel", "superseded"));
                return s;
            }
            s.push(mv("start", &[]));
            let code = g.pick(&[
                "successful",
                "successful",
                "successful",
                "successful_with_issues",
                "failed",
                "backed_out",
            ]);
            s.push(mv("complete", &[("close_code", code.into())]));
            s.push(mv("close", &[("review_note", "Reviewed; nothing further".into())]));
            s
        }
    }
}
