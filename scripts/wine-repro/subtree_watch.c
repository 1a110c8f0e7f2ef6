/* Wine's ReadDirectoryChangesW(bWatchSubtree = TRUE) reports no change to a file in a
 * subfolder that existed before the watch started; a file in the watched folder itself,
 * and one in a subfolder made after the watch started, are reported. Windows reports
 * all three. (notify's Windows watcher is this call; sessions::watch relies on it.)
 *
 * Prints what each case saw and exits 1 when the pre-existing subfolder's change was
 * not reported (the Wine bug), 0 when it was, 2 when the setup failed.
 *
 * Skips: an_appended_line_reaches_the_listener a_rewritten_gemini_json_chat_is_pushed appends_in_quick_succession_go_out_merged_at_most_once_per_period
 */
#include <stdio.h>
#include <windows.h>

static WCHAR root[MAX_PATH];
static volatile LONG seen_root, seen_before, seen_after;

static int named(const FILE_NOTIFY_INFORMATION *n, const WCHAR *name) {
    size_t len = wcslen(name);
    return n->FileNameLength == len * sizeof(WCHAR) && !wcsncmp(n->FileName, name, len);
}

static DWORD WINAPI watch(LPVOID ready) {
    HANDLE dir = CreateFileW(root, FILE_LIST_DIRECTORY,
                             FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                             OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (dir == INVALID_HANDLE_VALUE) return 1;
    SetEvent(ready);
    static DWORD buf[16384];
    for (;;) {
        DWORD got = 0;
        if (!ReadDirectoryChangesW(dir, buf, sizeof buf, TRUE,
                                   FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME |
                                       FILE_NOTIFY_CHANGE_SIZE | FILE_NOTIFY_CHANGE_LAST_WRITE,
                                   &got, NULL, NULL))
            return 1;
        const FILE_NOTIFY_INFORMATION *n = (const FILE_NOTIFY_INFORMATION *)buf;
        for (; got; n = (const FILE_NOTIFY_INFORMATION *)((const BYTE *)n + n->NextEntryOffset)) {
            if (named(n, L"a.txt")) InterlockedIncrement(&seen_root);
            if (named(n, L"before\\b.txt")) InterlockedIncrement(&seen_before);
            if (named(n, L"after\\c.txt")) InterlockedIncrement(&seen_after);
            if (!n->NextEntryOffset) break;
        }
    }
}

static void write_to(const WCHAR *rel) {
    WCHAR p[MAX_PATH];
    swprintf(p, MAX_PATH, L"%ls\\%ls", root, rel);
    HANDLE f = CreateFileW(p, FILE_APPEND_DATA, FILE_SHARE_READ, NULL, OPEN_ALWAYS, 0, NULL);
    DWORD w;
    WriteFile(f, "x\n", 2, &w, NULL);
    CloseHandle(f);
    Sleep(1000);
}

int main(void) {
    WCHAR p[MAX_PATH];
    GetTempPathW(MAX_PATH, root);
    swprintf(p, MAX_PATH, L"subtree-watch-%lu", GetCurrentProcessId());
    wcscat(root, p);
    CreateDirectoryW(root, NULL);
    swprintf(p, MAX_PATH, L"%ls\\before", root);
    CreateDirectoryW(p, NULL);
    write_to(L"before\\b.txt");
    HANDLE ready = CreateEventW(NULL, TRUE, FALSE, NULL);
    CreateThread(NULL, 0, watch, ready, 0, NULL);
    if (WaitForSingleObject(ready, 10000) != WAIT_OBJECT_0) return 2;
    Sleep(500);
    write_to(L"a.txt");
    write_to(L"before\\b.txt");
    swprintf(p, MAX_PATH, L"%ls\\after", root);
    CreateDirectoryW(p, NULL);
    Sleep(1000);
    write_to(L"after\\c.txt");
    printf("in the watched folder: %ld events; in a subfolder made before the watch: %ld; "
           "in one made after: %ld\n", seen_root, seen_before, seen_after);
    const WCHAR *made[] = {L"a.txt", L"before\\b.txt", L"after\\c.txt", L"before", L"after"};
    for (int i = 0; i < 5; i++) {
        swprintf(p, MAX_PATH, L"%ls\\%ls", root, made[i]);
        if (!DeleteFileW(p)) RemoveDirectoryW(p);
    }
    RemoveDirectoryW(root);
    if (!seen_root) return 2;
    return seen_before ? 0 : 1;
}
