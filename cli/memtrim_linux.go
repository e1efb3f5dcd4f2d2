package cli

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// trimMemory hands back to the kernel what a finished job no longer needs: the Go heap's
// free pages (debug.FreeOSMemory), and the pages of costbot's own executable that the job
// mapped in. A scan runs the code of twelve AWS SDK clients once an hour; each page of it
// stays in the process's resident set after the scan, and the kernel maps 16 pages around
// every page faulted in, so an idle daemon would keep tens of MB of executable resident.
// MADV_DONTNEED on a read-only private file mapping only unmaps those pages: they stay in
// the page cache, and the next run maps them again from there (a minor fault) with their
// contents unchanged. A mapping holding private copies (Anonymous > 0, as relocations of
// a position-independent build leave) is left alone, since dropping it would lose them.
// It returns the kB unmapped.
func trimMemory() (kB int64, err error) {
	debug.FreeOSMemory()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, err
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	for _, m := range exeMappings(smaps, exe) {
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, m.start, m.end-m.start, syscall.MADV_DONTNEED); errno != 0 {
			return kB, errno
		}
		kB += m.rssKB
	}
	return kB, nil
}

// mapping is one read-only, unmodified mapping of the executable in /proc/self/smaps.
type mapping struct {
	start, end uintptr
	rssKB      int64
}

// exeMappings returns the mappings of smaps that map the file exe read-only and privately
// ("r-xp" or "r--p") with no private (anonymous) pages.
func exeMappings(smaps []byte, exe string) []mapping {
	var out []mapping
	var cur *mapping
	var anon int64
	flush := func() {
		if cur != nil && anon == 0 {
			out = append(out, *cur)
		}
		cur, anon = nil, 0
	}
	sc := bufio.NewScanner(bytes.NewReader(smaps))
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if addrs, ok := strings.CutSuffix(fields[0], ":"); ok { // "Rss:  1234 kB"
			if cur == nil || len(fields) < 2 {
				continue
			}
			n, _ := strconv.ParseInt(fields[1], 10, 64)
			switch addrs {
			case "Rss":
				cur.rssKB = n
			case "Anonymous":
				anon = n
			}
			continue
		}
		if !strings.Contains(fields[0], "-") || len(fields) < 5 {
			continue // VmFlags and other lines
		}
		flush()
		if len(fields) != 6 || fields[5] != exe || (fields[1] != "r-xp" && fields[1] != "r--p") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			continue
		}
		cur = &mapping{start: uintptr(start), end: uintptr(end)}
	}
	flush()
	return out
}
