//! Commands the user starts from Sessionscope: [`supervisor`] runs each in its own
//! pseudo-terminal, [`history`] keeps the list shared by every Sessionscope process in
//! `runs.jsonl`, [`naming`] names a run after its command, [`pacer`] paces output to a terminal panel that renders slower than
//! the run prints, and [`quit_notice`] tells the user what quitting did to live runs.

pub mod history;
pub mod naming;
pub mod pacer;
pub mod quit_notice;
pub mod supervisor;
