// Package suggest finds the likely intended word behind a typo, for "did you
// mean" hints in error messages.
package suggest

import (
	"fmt"
	"strings"
)

// DidYouMean returns ` (did you mean "x"?)` naming the candidate closest to
// word, or "" when none is close enough to be a likely typo. Case is ignored
// when comparing, so "bodytemplate" suggests "bodyTemplate".
func DidYouMean(word string, candidates []string) string {
	best, ok := Closest(word, candidates)
	if !ok {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// Closest returns the candidate nearest to word, when it is near enough to
// be a likely typo (as DidYouMean judges).
func Closest(word string, candidates []string) (string, bool) {
	best, bestDist := "", -1
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := Distance(lw, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || bestDist > max(2, len([]rune(word))/3) || bestDist >= len([]rune(word)) {
		return "", false
	}
	return best, true
}

// Distance is the Levenshtein edit distance between a and b, counted in runes.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
