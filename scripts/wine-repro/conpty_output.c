/* Wine's pseudoconsole gives its reader no output: `cmd.exe /c echo conpty-works`
 * started in a pseudoconsole the way Microsoft's sample does it ("Creating a
 * Pseudoconsole session"), with empty standard handles as runs::conpty gives it, runs
 * and exits with its code, but not one byte reaches the output pipe, not even the
 * console's own start-up sequences; the same from a process without a console (as the
 * run host is). Windows gives both. (Without STARTF_USESTDHANDLES Wine writes the text
 * to this process's own console instead.) Output is checked on Linux through the same
 * relay (runs::host::tests) and on Windows by the README checklist.
 *
 * Prints what the reader got and exits 1 when it got nothing (the Wine bug), 0 when
 * the text came through, 2 when the setup failed.
 *
 * Skips: run_streams_output_and_exits_with_the_commands_code a_finished_runs_log_can_be_reopened_by_id_prefix
 */
#define _WIN32_WINNT 0x0A00
#define NTDDI_VERSION 0x0A000006
#include <stdio.h>
#include <string.h>
#include <windows.h>

#ifndef PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE
#define PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE 0x00020016
#endif

static HANDLE output;
static char got[65536];
static volatile LONG len;

static DWORD WINAPI reader(LPVOID unused) {
    (void)unused;
    for (;;) {
        DWORD n = 0;
        if (!ReadFile(output, got + len, sizeof got - 1 - len, &n, NULL) || !n) return 0;
        InterlockedExchangeAdd(&len, (LONG)n);
        if (len >= (LONG)sizeof got - 1) return 0;
    }
}

int main(void) {
    HANDLE in_read, in_write, out_write;
    if (!CreatePipe(&in_read, &in_write, NULL, 0) || !CreatePipe(&output, &out_write, NULL, 0))
        return 2;
    HPCON console;
    COORD size = {80, 25};
    if (CreatePseudoConsole(size, in_read, out_write, 0, &console) != S_OK) return 2;
    CloseHandle(in_read);
    CloseHandle(out_write);
    HANDLE thread = CreateThread(NULL, 0, reader, NULL, 0, NULL);

    SIZE_T list_size = 0;
    InitializeProcThreadAttributeList(NULL, 1, 0, &list_size);
    STARTUPINFOEXW si;
    ZeroMemory(&si, sizeof si);
    si.StartupInfo.cb = sizeof si;
    /* Standard handles given, and empty, as runs::conpty does: none of this process's
       reaches the command, which gets the pseudoconsole's in their place. */
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.lpAttributeList = HeapAlloc(GetProcessHeap(), 0, list_size);
    if (!InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0, &list_size) ||
        !UpdateProcThreadAttribute(si.lpAttributeList, 0, PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE,
                                   console, sizeof console, NULL, NULL))
        return 2;
    WCHAR line[] = L"cmd.exe /c echo conpty-works& exit /b 5";
    PROCESS_INFORMATION pi;
    if (!CreateProcessW(NULL, line, NULL, NULL, FALSE, EXTENDED_STARTUPINFO_PRESENT, NULL, NULL,
                        &si.StartupInfo, &pi))
        return 2;
    DWORD code = 0;
    WaitForSingleObject(pi.hProcess, 10000);
    GetExitCodeProcess(pi.hProcess, &code);
    Sleep(1000);
    ClosePseudoConsole(console);
    WaitForSingleObject(thread, 5000);
    got[len] = 0;
    int text = strstr(got, "conpty-works") != NULL;
    printf("the command exited with %lu; the reader got %ld bytes%s\n", code, len,
           text ? ", the text among them" : "");
    if (code != 5) return 2;
    return text ? 0 : 1;
}
