/* Wine 8 (Debian 12) has no bcryptprimitives.dll, whose ProcessPrng Rust's standard
   library (1.78 and later) takes its random bytes from on Windows. This stand-in, put
   in make test-wine's own Wine prefix only, gives them from RtlGenRandom. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
