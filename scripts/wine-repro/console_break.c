/* Wine delivers Ctrl-C to a process on another console but not Ctrl-Break: a helper
 * that attaches to the target's console and calls GenerateConsoleCtrlEvent (what
 * procs::console_ctrl does) gets Ctrl-C through, while GenerateConsoleCtrlEvent
 * (CTRL_BREAK_EVENT, 0) fails and no Ctrl-Break arrives. Windows delivers both.
 *
 * Prints what arrived (a helper exit of 1000 + n: the call failed with error n) and
 * exits 1 when Ctrl-C arrived and Ctrl-Break did not (the Wine bug), 0 when both did,
 * 2 when the setup failed.
 *
 * Skips: console_events_reach_a_process_on_another_console
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

static char log_path[MAX_PATH];

static void note(const char *what) {
    FILE *f = fopen(log_path, "a");
    if (f) {
        fprintf(f, "%s\n", what);
        fclose(f);
    }
}

static BOOL WINAPI handler(DWORD kind) {
    note(kind == CTRL_C_EVENT ? "ctrl-c" : kind == CTRL_BREAK_EVENT ? "ctrl-break" : "other");
    return TRUE;
}

static int logged(const char *what) {
    char buf[256] = {0};
    FILE *f = fopen(log_path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strstr(buf, what) != NULL;
}

static int wait_logged(const char *what, int ms) {
    for (; ms > 0; ms -= 100, Sleep(100))
        if (logged(what)) return 1;
    return 0;
}

/* Start this program with `args` and `flags`; 0 on failure. */
static HANDLE start(const char *args, DWORD flags, DWORD *pid) {
    char self[MAX_PATH], line[3 * MAX_PATH];
    GetModuleFileNameA(NULL, self, MAX_PATH);
    snprintf(line, sizeof line, "\"%s\" %s", self, args);
    STARTUPINFOA si;
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    PROCESS_INFORMATION pi;
    if (!CreateProcessA(NULL, line, NULL, NULL, FALSE, flags, NULL, NULL, &si, &pi)) return 0;
    CloseHandle(pi.hThread);
    if (pid) *pid = pi.dwProcessId;
    return pi.hProcess;
}

/* The helper: this event to everything on the console of process `pid`. */
static DWORD send_event(DWORD event, DWORD pid) {
    char args[64];
    snprintf(args, sizeof args, "send %lu %lu", event, pid);
    HANDLE h = start(args, CREATE_NO_WINDOW, NULL);
    if (!h) return 99;
    DWORD code = 99;
    WaitForSingleObject(h, 10000);
    GetExitCodeProcess(h, &code);
    CloseHandle(h);
    return code;
}

int main(int argc, char **argv) {
    GetTempPathA(MAX_PATH, log_path);
    strcat(log_path, "console-break-repro.txt");
    if (argc == 2 && !strcmp(argv[1], "target")) {
        SetConsoleCtrlHandler(handler, TRUE);
        note("ready");
        Sleep(30000);
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "send")) {
        FreeConsole();
        if (!AttachConsole(strtoul(argv[3], NULL, 10))) return 10;
        SetConsoleCtrlHandler(NULL, TRUE);
        return GenerateConsoleCtrlEvent(strtoul(argv[2], NULL, 10), 0) ? 0 : 1000 + GetLastError();
    }
    DeleteFileA(log_path);
    DWORD pid;
    HANDLE target = start("target", CREATE_NEW_CONSOLE, &pid);
    if (!target || !wait_logged("ready", 20000)) return 2;
    DWORD c = send_event(CTRL_C_EVENT, pid);
    int got_c = wait_logged("ctrl-c", 5000);
    DWORD b = send_event(CTRL_BREAK_EVENT, pid);
    int got_break = wait_logged("ctrl-break", 5000);
    TerminateProcess(target, 0);
    CloseHandle(target);
    printf("Ctrl-C: helper exit %lu, %s; Ctrl-Break: helper exit %lu, %s\n", c,
           got_c ? "arrived" : "did not arrive", b, got_break ? "arrived" : "did not arrive");
    DeleteFileA(log_path);
    if (!got_c) return 2;
    return got_break ? 0 : 1;
}
