//! TypeScript bindings of the IPC types, generated from the Rust definitions with
//! `ts-rs` into `ui/src/lib/bindings.ts`.
//!
//! The test below regenerates the file's text and fails when the committed file
//! differs, so a type changed in Rust cannot silently drift from the front end.
//! Run `UPDATE_BINDINGS=1 cargo test -p sessionscope-core bindings` to rewrite it.

use ts_rs::TS;

use crate::agents::transcript::{EntryKind, TranscriptCursor, TranscriptEntry, TranscriptPage};
use crate::model::*;
use crate::remote::link::HostState;
use crate::remote::rows::HostRows;
use crate::remote::table::{RemoteHost, RemoteHosts};
use crate::settings::{ExtraRoot, Settings, SettingsSnapshot, TerminalScheme, Theme};
use crate::views::daily::{HarnessSeries, ProjectTotal, SessionAnalytics};
use crate::views::records_tools::{
    CategoryRow, CategoryStats, CostGroup, CostView, DedupGroupView, DedupView, DuplicateView,
    TranscriptMatch, TranscriptSearch,
};
use crate::views::records_view::{
    DayOutcomes, DurationSummary, GroupRate, ModelOutcomeRow, NamedCount, NoopRow, RecordField,
    RecordQuery, RecordRow, RecordsOverview,
};
use crate::views::{RecordAnnotation, RecordsPage, SessionRecorded};

/// The whole generated file.
pub fn typescript() -> String {
    let cfg = ts_rs::Config::default();
    let decls = [
        Harness::decl(&cfg),
        Status::decl(&cfg),
        Usage::decl(&cfg),
        Session::decl(&cfg),
        SessionCounts::decl(&cfg),
        SessionChange::decl(&cfg),
        SearchedRoot::decl(&cfg),
        SessionSnapshot::decl(&cfg),
        SessionsChanged::decl(&cfg),
        RunStatus::decl(&cfg),
        RunInfo::decl(&cfg),
        RunOutput::decl(&cfg),
        RunRequest::decl(&cfg),
        EnvVar::decl(&cfg),
        EnvLines::decl(&cfg),
        QuitPolicy::decl(&cfg),
        RunSettings::decl(&cfg),
        QuitReport::decl(&cfg),
        QuitAction::decl(&cfg),
        crate::runs::quit_notice::QuitNotice::decl(&cfg),
        StopSignal::decl(&cfg),
        KillTarget::decl(&cfg),
        KillPlanItem::decl(&cfg),
        KillPlan::decl(&cfg),
        KillStep::decl(&cfg),
        KillEvent::decl(&cfg),
        KillResult::decl(&cfg),
        KillOutcome::decl(&cfg),
        ServerSession::decl(&cfg),
        ServerHealth::decl(&cfg),
        ServerSessions::decl(&cfg),
        HostState::decl(&cfg),
        RemoteHost::decl(&cfg),
        RemoteHosts::decl(&cfg),
        HostRows::decl(&cfg),
        GptmeServerSettings::decl(&cfg),
        ActivitySummary::decl(&cfg),
        Theme::decl(&cfg),
        TerminalScheme::decl(&cfg),
        ExtraRoot::decl(&cfg),
        Settings::decl(&cfg),
        SettingsSnapshot::decl(&cfg),
        EntryKind::decl(&cfg),
        TranscriptCursor::decl(&cfg),
        TranscriptEntry::decl(&cfg),
        TranscriptPage::decl(&cfg),
        ScanProgress::decl(&cfg),
        TextRole::decl(&cfg),
        SearchHit::decl(&cfg),
        FullTextResults::decl(&cfg),
        RecordQuery::decl(&cfg),
        RecordRow::decl(&cfg),
        RecordField::decl(&cfg),
        GroupRate::decl(&cfg),
        NamedCount::decl(&cfg),
        NoopRow::decl(&cfg),
        ModelOutcomeRow::decl(&cfg),
        DurationSummary::decl(&cfg),
        RecordsOverview::decl(&cfg),
        DayOutcomes::decl(&cfg),
        HarnessSeries::decl(&cfg),
        ProjectTotal::decl(&cfg),
        SessionAnalytics::decl(&cfg),
        CategoryRow::decl(&cfg),
        CategoryStats::decl(&cfg),
        RecordsPage::decl(&cfg),
        CostGroup::decl(&cfg),
        CostView::decl(&cfg),
        DuplicateView::decl(&cfg),
        DedupGroupView::decl(&cfg),
        DedupView::decl(&cfg),
        TranscriptSearch::decl(&cfg),
        TranscriptMatch::decl(&cfg),
        RecordAnnotation::decl(&cfg),
        SessionRecorded::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from crates/core/src/model.rs and agents/transcript/mod.rs by ts-rs. Do not edit by hand:\n\
         // UPDATE_BINDINGS=1 cargo test -p sessionscope-core bindings\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn bindings_are_up_to_date() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings.ts");
        let fresh = super::typescript();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/lib/bindings.ts is stale; run UPDATE_BINDINGS=1 cargo test -p sessionscope-core bindings"
        );
    }
}
