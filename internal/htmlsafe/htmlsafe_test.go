package htmlsafe

import (
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		in           string
		keep, unsafe []string
	}{
		{`<p onclick="x()">Hi <script>alert(1)</script><b>there</b></p>`, []string{"<p>", "<b>there</b>"}, []string{"onclick", "script", "alert"}},
		{`<a href="javascript:alert(1)">x</a><a href="https://ok.example/">ok</a>`, []string{`href="https://ok.example/"`}, []string{"javascript:"}},
		{`<iframe src="https://evil.example/"></iframe><style>p{}</style><form><input></form>`, nil, []string{"iframe", "style", "form", "input"}},
		{`<figure><img src="https://img.example/a.jpg" alt="a"><figcaption>Cap</figcaption></figure><time datetime="2026-11-10">Tue</time>`,
			[]string{"<figure>", "<figcaption>Cap</figcaption>", `datetime="2026-11-10"`, `src="https://img.example/a.jpg"`}, nil},
	}
	for _, tt := range tests {
		got := Sanitize(tt.in)
		for _, k := range tt.keep {
			if !strings.Contains(got, k) {
				t.Errorf("Sanitize(%q) = %q, lost %q", tt.in, got, k)
			}
		}
		for _, u := range tt.unsafe {
			if strings.Contains(got, u) {
				t.Errorf("Sanitize(%q) = %q, kept %q", tt.in, got, u)
			}
		}
	}
}
