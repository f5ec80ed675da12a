package htmlsafe

import "testing"

func TestLabel(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Talks resume in Geneva", "Talks resume in Geneva"},
		{"invoice \u202Egnp.exe", "invoice gnp.exe"},
		{"\u202Aa\u202Bb\u202Cc\u202Dd\u202Ee", "abcde"},
		{"\u2066x\u2067y\u2068z\u2069", "xyz"},
		{"a\uFFFEb\uFFFFc\uFDD0d\uFDEFe\U0001FFFEf\U0010FFFFg", "abcdefg"},
		// Right-to-left text and the marks that order it stay.
		{"مذاكرات \u200Fجنيف\u200E (UN)", "مذاكرات \u200Fجنيف\u200E (UN)"},
		{"bad \xff byte", "bad \uFFFD byte"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Label(tt.in); got != tt.want {
			t.Errorf("Label(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
