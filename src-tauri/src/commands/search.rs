//! The full-text search command behind the search box's "full text" mode.

use sessionscope_core::model::FullTextResults;
use sessionscope_core::sessions::search::SearchFilter;
use tauri::{AppHandle, Manager};

use crate::search::SearchService;

/// Matching transcript passages, newest first; the snippet marks hits with `[` `]`.
/// With them, the transcripts that were not searched because they cannot be read.
#[tauri::command]
pub async fn search_transcripts(app: AppHandle, query: String) -> Result<FullTextResults, String> {
    tauri::async_runtime::spawn_blocking(move || {
        let service = app.state::<SearchService>();
        let filter = SearchFilter {
            limit: 100,
            ..SearchFilter::default()
        };
        let hits = service.with_reader(|index| index.search(&query, &filter))??;
        Ok(FullTextResults {
            hits,
            skipped: service.skipped(),
        })
    })
    .await
    .map_err(|e| e.to_string())?
}
