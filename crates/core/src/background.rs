//! Background work that must not take the CPU or the disk from the user: the calling
//! thread's scheduling priority is lowered (nice 19), and on Linux its I/O priority to
//! the lowest best-effort level. Threads it starts afterwards inherit both (Linux keeps
//! them per thread). Not `SCHED_IDLE`: a thread that never runs while the machine is
//! busy would hold the index's write lock for as long, and a `sessionscope search`
//! waiting for that lock would fail.

/// Lower the calling thread's CPU and I/O priority; says whether the CPU part took.
pub fn lower_this_thread() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain syscalls on the calling thread's own id; no memory is shared.
        unsafe {
            let tid = libc::gettid();
            // ioprio_set(IOPRIO_WHO_PROCESS, tid, IOPRIO_PRIO_VALUE(BE, 7)).
            const IOPRIO_WHO_PROCESS: libc::c_long = 1;
            const IOPRIO_CLASS_BE: libc::c_long = 2;
            let _ = libc::syscall(
                libc::SYS_ioprio_set,
                IOPRIO_WHO_PROCESS,
                tid as libc::c_long,
                (IOPRIO_CLASS_BE << 13) | 7,
            );
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19) == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn only_the_calling_thread_and_its_children_are_lowered() {
        let nice =
            || unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) };
        let main = nice();
        let (mine, child) = std::thread::spawn(move || {
            assert!(super::lower_this_thread());
            let child = std::thread::spawn(nice).join().unwrap();
            (nice(), child)
        })
        .join()
        .unwrap();
        assert_eq!((mine, child), (19, 19));
        assert_eq!(nice(), main);
    }
}
