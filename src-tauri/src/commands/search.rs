//! The full-text search command behind the search box's "full text" mode.

use sessionscope_core::model::SearchHit;
use sessionscope_core::sessions::search::SearchFilter;
use tauri::{AppHandle, Manager};

use crate::search::SearchService;

/// Matching transcript passages, newest first; the snippet marks hits with `[` `]`.
#[tauri::command]
pub async fn search_transcripts(app: AppHandle, query: String) -> Result<Vec<SearchHit>, String> {
    tauri::async_runtime::spawn_blocking(move || {
        let service = app.state::<SearchService>();
        let filter = SearchFilter {
            limit: 100,
            ..SearchFilter::default()
        };
        service.with_reader(|index| index.search(&query, &filter))?
    })
    .await
    .map_err(|e| e.to_string())?
}
