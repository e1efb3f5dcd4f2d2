package cli

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

const smapsSample = `00400000-037f3000 r-xp 00000000 fe:00 9977967                            /opt/costbot
Size:              54220 kB
Rss:               18892 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me dw
037f3000-05c47000 r--p 033f3000 fe:00 9977967                            /opt/costbot
Size:              37200 kB
Rss:               19216 kB
Anonymous:             0 kB
VmFlags: rd mr mw me dw
05c47000-05c48000 r--p 05847000 fe:00 9977967                            /opt/costbot
Rss:                   4 kB
Anonymous:             4 kB
VmFlags: rd mr mw me dw ac
05c48000-061d6000 rw-p 05848000 fe:00 9977967                            /opt/costbot
Rss:                3004 kB
Anonymous:           120 kB
3bfc41400000-3bfc42400000 rw-p 00000000 00:00 0 
Rss:                9184 kB
Anonymous:          9184 kB
7f17e4afb000-7f17e4c51000 r-xp 00026000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                 916 kB
Anonymous:             0 kB
7f17e4c51000-7f17e4c52000 r--p 00000000 fe:00 9977967                    /opt/costbot (deleted)
Rss:                   4 kB
Anonymous:             0 kB
`

// Only the executable's read-only mappings without private pages are trimmed: never its
// data, a relocated (copied) page, the heap, a library, or a replaced file.
func TestExeMappingsPicksReadOnlyUnmodifiedExecutablePages(t *testing.T) {
	got := exeMappings([]byte(smapsSample), "/opt/costbot")
	want := []mapping{{start: 0x400000, end: 0x37f3000, rssKB: 18892}, {start: 0x37f3000, end: 0x5c47000, rssKB: 19216}}
	if len(got) != len(want) {
		t.Fatalf("mappings = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mapping %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := exeMappings([]byte(smapsSample), "/opt/other"); len(got) != 0 {
		t.Errorf("another file's mappings = %+v, want none", got)
	}
}

// trimMemory unmaps the test binary's resident code and data pages, and the process goes
// on running the code it unmapped.
func TestTrimMemoryLowersResidentFilePages(t *testing.T) {
	// Run a good part of the binary so that its pages are resident.
	var sink strings.Builder
	Main([]string{"-h"}, &sink, &sink)
	before := statusKB(t, "RssFile:")
	kB, err := trimMemory()
	if err != nil {
		t.Fatal(err)
	}
	after := statusKB(t, "RssFile:")
	if kB <= 0 {
		t.Fatalf("trimMemory unmapped %d kB, want > 0", kB)
	}
	if after >= before {
		t.Fatalf("RssFile %d kB after the trim, %d kB before: want it lower", after, before)
	}
	sink.Reset()
	if code := Main([]string{"-h"}, &sink, &sink); code != 0 || !strings.Contains(sink.String(), "scan") {
		t.Fatalf("after the trim: dispatch -h = %d, %q", code, sink.String())
	}
}

func statusKB(t *testing.T, field string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}
