package searchtext

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Москва и МОСКВА", []string{"москва", "и", "москва"}},
		{"São Paulo, Zürich; ÉCOLE", []string{"sao", "paulo", "zurich", "ecole"}},
		{"Ελλάδα", []string{"ελλαδα"}},
		{"Straße", []string{"strasse"}},
		{"南海局势", []string{"南", "海", "局", "势"}},
		{"2023年南海", []string{"2023", "年", "南", "海"}},
		{"東京で会談", []string{"東", "京", "で", "会", "談"}},
		{"가게", []string{"가", "게"}},
		{"กรุงเทพ", []string{"ก", "รุ", "ง", "เ", "ท", "พ"}},
		{"नमस्ते दुनिया", []string{"नमस्ते", "दुनिया"}},
		{"مُحَمَّد في القاهرة", []string{"محمد", "في", "القاهرة"}},
		{"وزیرِ اعظم", []string{"وزیر", "اعظم"}},
		{"שָׁלוֹם", []string{"שלום"}},
		{"don't -- stop!", []string{"don", "t", "stop"}},
		{"G20 Summit, NATO's 75th", []string{"g20", "summit", "nato", "s", "75th"}},
		{"", nil},
		{"!!! ...", nil},
	}
	for _, tt := range tests {
		if got := Tokens(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestNormalizeASCIIFastPath: the ASCII path gives what the general one
// gives.
func TestNormalizeASCIIFastPath(t *testing.T) {
	for _, s := range []string{"", "  ", "Hello, World!", "G20 Summit, NATO's 75th -- (AP)", "a", "x--y", "  lead and trail  "} {
		// A non-ASCII word after it sends s down the general path.
		general := Tokens(s + " \u00e9")
		if got, want := normalizeASCII(s), strings.Join(general[:len(general)-1], " "); got != want {
			t.Errorf("normalizeASCII(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestContains(t *testing.T) {
	tests := []struct {
		text, phrase string
		want         bool
	}{
		{"中国在南海举行演习", "南海", true},
		{"中国在南部海域", "南海", false},
		{"Cricket: England win", "cricket", true},
		{"Crickets sing", "cricket", false},
		{"talks in São Paulo today", "sao paulo", true},
		{"Paulo Sao", "sao paulo", false},
		{"Визит в Москву", "москва", false},
		{"anything", "", false},
	}
	for _, tt := range tests {
		if got := Contains(Tokens(tt.text), Tokens(tt.phrase)); got != tt.want {
			t.Errorf("Contains(%q, %q) = %v, want %v", tt.text, tt.phrase, got, tt.want)
		}
	}
}

// TestHasPhrase: HasPhrase on normalised strings is Contains on their
// words, and a prefix phrase matches where its last word begins a word.
func TestHasPhrase(t *testing.T) {
	tests := []struct {
		text, phrase string
		prefix, want bool
	}{
		{"中国在南海举行演习", "南海", false, true},
		{"中国在南部海域", "南海", false, false},
		{"Crickets sing", "cricket", false, false},
		{"Crickets sing", "cricket", true, true},
		{"the cricket", "cricket", false, true},
		{"a cricket b", "cricket", false, true},
		{"talks in São Paulo today", "sao paulo", false, true},
		{"talks in São Paulo today", "sao paul", true, true},
		{"talks in São Paulo today", "sao paul", false, false},
		{"talks in São Paulo today", "ao paulo", true, false},
		{"Paulo Sao", "sao paulo", false, false},
		{"Визит в Москву", "москв", true, true},
		{"Визит в Москву", "москва", false, false},
		{"aa aab a", "a", false, true},
		{"aab aa", "aa", false, true},
		{"aab", "aa", false, false},
		{"anything", "", true, false},
		{"", "x", false, false},
	}
	for _, tt := range tests {
		if got := HasPhrase(Normalize(tt.text), Normalize(tt.phrase), tt.prefix); got != tt.want {
			t.Errorf("HasPhrase(%q, %q, %v) = %v, want %v", tt.text, tt.phrase, tt.prefix, got, tt.want)
		}
	}
}

// FuzzHasPhrase: whatever the texts, HasPhrase on their normalised forms
// agrees with Contains on their words (prefix false), and with Contains
// on all but the last word and a prefix test of the last (prefix true).
func FuzzHasPhrase(f *testing.F) {
	f.Add("talks in São Paulo today", "sao paulo")
	f.Add("aa aab a", "a")
	f.Add("南海局势", "海局")
	f.Add("x y x y z", "x y z")
	f.Fuzz(func(t *testing.T, text, phrase string) {
		words, ph := Tokens(text), Tokens(phrase)
		if got, want := HasPhrase(Normalize(text), Normalize(phrase), false), Contains(words, ph); got != want {
			t.Fatalf("HasPhrase(%q, %q, false) = %v, Contains says %v", text, phrase, got, want)
		}
		want := false
		for i := 0; len(ph) > 0 && i+len(ph) <= len(words); i++ {
			n := len(ph) - 1
			if slices.Equal(words[i:i+n], ph[:n]) && strings.HasPrefix(words[i+n], ph[n]) {
				want = true
				break
			}
		}
		if got := HasPhrase(Normalize(text), Normalize(phrase), true); got != want {
			t.Fatalf("HasPhrase(%q, %q, true) = %v, want %v", text, phrase, got, want)
		}
	})
}

func BenchmarkNormalizeASCII(b *testing.B) {
	text := "The foreign ministers of China and the Philippines met in Manila on Tuesday to discuss tensions in the South China Sea, officials said."
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Normalize(text)
	}
}

func BenchmarkNormalize(b *testing.B) {
	text := "The foreign ministers of China and the Philippines met in Manila on Tuesday to discuss tensions in the South China Sea. 中国与菲律宾外长周二在马尼拉会面，讨论南海紧张局势。"
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Normalize(text)
	}
}

// TestEachCutsAgree: reading mostly-ASCII text in pieces gives the words
// of reading it whole by the general path, with the characters that fold,
// decompose or compose across a neighbour next to the places it is cut.
func TestEachCutsAgree(t *testing.T) {
	pieces := []string{"a", "Z", "7", " ", ".", "-", "<", "=", "'", "it’s", "é", "e\u0301", "\u0301", "\u0338", "Σ", "ς",
		"ά", "ß", "İ", "ﬁ", "مُ", "\u064f", "שָ", "\u1100", "\u1161", "가", "南海", "ก", "नमस्ते", "ё", "\u00a0", "\ufeff", "\xff"}
	r := rand.New(rand.NewPCG(5, 13))
	words := func(s string, each func(string, func(string))) []string {
		var out []string
		each(s, func(w string) { out = append(out, w) })
		return out
	}
	for range 30000 {
		var b strings.Builder
		for range r.IntN(14) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := words(s, each), words(s, eachGeneral); !slices.Equal(got, want) {
			t.Fatalf("each(%q) = %q, want %q", s, got, want)
		}
	}
}

// BenchmarkNormalizeMostlyASCII: an English body of 4 KB with a few curly
// quotes and one accented name, as most of the corpus's bodies are.
func BenchmarkNormalizeMostlyASCII(b *testing.B) {
	text := strings.Repeat("The foreign ministers met in Manila on Tuesday to discuss tensions in the South China Sea, officials said. ", 36) +
		"“We’re not there yet,” said José Ramos. " + strings.Repeat("Talks will resume next month. ", 4)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Normalize(text)
	}
}

// FuzzEachCutsAgree: whatever the text, reading it in pieces gives the
// words of reading it whole by the general path.
func FuzzEachCutsAgree(f *testing.F) {
	for _, s := range []string{"it’s a test", "e\u0301 <\u0338 = x", "Straße İstanbul ﬁ", "南海 and 東京", "a.\u0301b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want []string
		each(s, func(w string) { got = append(got, w) })
		eachGeneral(s, func(w string) { want = append(want, w) })
		if !slices.Equal(got, want) {
			t.Fatalf("each(%q) = %q, want %q", s, got, want)
		}
	})
}
