//! Commands the user starts from Sessionscope: [`supervisor`] runs each in its own
//! pseudo-terminal, [`history`] keeps the list shared by every Sessionscope process in
//! `runs.jsonl`, [`launch`] starts a run's command in a new terminal, [`host`] owns a run's terminal in a process of its own (Windows), [`naming`] names a run after its command, [`pacer`] paces output to a terminal panel that renders slower than
//! the run prints, and [`quit_notice`] tells the user what quitting did to live runs.

#[cfg(windows)]
mod conpty;
pub mod history;
pub mod host;
pub mod launch;
pub mod naming;
pub mod pacer;
pub mod quit_notice;
pub mod supervisor;
