// Package suggest finds the word a typo was meant to be: "did you mean".
package suggest

import "strings"

// Distance is the Levenshtein distance between a and b, in runes.
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

// Closest is the word of words nearest to typed (compared in lower case),
// or "" when none is near: within two edits (and fewer than the word has
// letters: "ja" is not near "no"), or else the one word that typed begins
// with or that begins with typed ("english" → "en", "stat" → "status").
func Closest(typed string, words []string) string {
	typed = strings.ToLower(strings.TrimSpace(typed))
	best, bestDist := "", 3
	for _, w := range words {
		if d := Distance(typed, w); d < bestDist && d < len([]rune(w)) {
			best, bestDist = w, d
		}
	}
	if best != "" || len(typed) < 2 {
		return best
	}
	var prefixed []string
	for _, w := range words {
		if len(w) >= 2 && (strings.HasPrefix(typed, w) || strings.HasPrefix(w, typed)) {
			prefixed = append(prefixed, w)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return ""
}
