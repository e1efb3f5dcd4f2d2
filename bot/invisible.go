package bot

import "strings"

// stripInvisible removes the characters that change how a line reads without showing
// themselves: bidirectional controls (a resource named "invoice\u202Egnp.exe" would read
// "invoiceexe.png") and zero-width characters (two names that look the same). Resource
// names come from the AWS account, so every value a message shows passes here.
func stripInvisible(s string) string {
	if !strings.ContainsFunc(s, invisible) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
}

func invisible(r rune) bool {
	switch {
	case r == 0x061C, r == 0x180E, r == 0xFEFF: // Arabic letter mark, Mongolian vowel separator, BOM
		return true
	case r >= 0x200B && r <= 0x200F: // zero-width space, non-joiner, joiner; LRM, RLM
		return true
	case r >= 0x202A && r <= 0x202E: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2060 && r <= 0x2064, r >= 0x2066 && r <= 0x2069: // word joiner, invisible operators; LRI, RLI, FSI, PDI
		return true
	}
	return false
}
