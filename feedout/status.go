package feedout

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/htmlsafe"
)

//go:embed templates/*.html
var templates embed.FS

var statusTemplate = template.Must(template.New("status.html").Funcs(template.FuncMap{
	"fmtTime": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	// fmtSecond is for times the log also prints (next attempt), to the
	// second, so the two can be compared.
	"fmtSecond": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"ruleLabel": func(rule wirefeed.MatchRule) string { l, _ := ruleLabel(rule); return l },
	"ruleTitle": func(rule wirefeed.MatchRule) string { _, t := ruleLabel(rule); return t },
}).ParseFS(templates, "templates/status.html"))

// statusStories is how many of the latest stories the status page shows.
const statusStories = 30

// maxShownError is how much of a feed's last error the health table shows;
// the whole error is in the cell's title.
const maxShownError = 160

type statusPage struct {
	Title        string
	Feeds        []statusFeed
	Failing      int
	Unconfigured []string
	Totals       wirefeed.Totals
	NextCycle    time.Time
	Outputs      []Output
	Stories      []wirefeed.Story
}

// statusFeed is one row of the health table.
type statusFeed struct {
	wirefeed.FeedState
	Failing     bool
	NextAttempt time.Time
	ShortError  string
}

// status renders the operator's page: first a compact health summary
// (totals, then the feeds with the failing ones first, their last error
// and next attempt), then the latest stories of the main feed with their
// member outlets, the representative marked and the rule that merged each
// member. It needs no JavaScript. Feeds the database remembers but the
// config no longer lists are not shown, only counted.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	fail := func(what string, err error) {
		h.logger.Error("status page", slog.String("reading", what), slog.Any("err", err))
		http.Error(w, "internal error reading "+what, http.StatusInternalServerError)
	}
	states, err := h.src.FeedStates(ctx)
	if err != nil {
		fail("feed states", err)
		return
	}
	stories, err := h.src.Stories(ctx, wirefeed.StoryQuery{Limit: statusStories, Keep: h.main.sel.keepFunc()})
	if err != nil {
		fail("stories", err)
		return
	}
	totals, err := h.src.Totals(ctx)
	if err != nil {
		fail("totals", err)
		return
	}
	page := statusPage{Title: h.opts.Meta.Title, Stories: stories, Totals: totals, Outputs: h.opts.Outputs}
	page.NextCycle = h.nextChange()
	red := h.opts.Meta.Redact
	configured := map[string]bool{}
	for _, f := range h.opts.Feeds {
		st, ok := states[f.Name]
		if !ok {
			st = wirefeed.FeedState{Name: f.Name, URL: f.URL}
		}
		row := statusFeed{FeedState: st, Failing: st.ConsecutiveErrors > 0 || st.Gone, NextAttempt: st.NextDue}
		if h.opts.NextAttempt != nil {
			row.NextAttempt = h.opts.NextAttempt(st)
		}
		// The page shows text from sources and from the operator: URLs
		// lose their secrets, names and errors the characters that spoof
		// what they look like (and the template isolates each in <bdi>).
		row.Name, row.Title = htmlsafe.Label(st.Name), htmlsafe.Label(st.Title)
		row.URL, row.ConfigURL = red.URL(st.URL), red.URL(st.ConfigURL)
		row.LastError = htmlsafe.Label(red.Text(st.LastError))
		row.LastWarning = htmlsafe.Label(red.Text(st.LastWarning))
		row.ShortError = row.LastError
		if utf8.RuneCountInString(row.ShortError) > maxShownError {
			row.ShortError = string([]rune(row.ShortError)[:maxShownError]) + "…"
		}
		if row.Failing {
			page.Failing++
		}
		page.Feeds = append(page.Feeds, row)
		configured[f.Name] = true
	}
	for name := range states {
		if !configured[name] {
			page.Unconfigured = append(page.Unconfigured, htmlsafe.Label(name))
		}
	}
	sort.Strings(page.Unconfigured)
	// Failing feeds first: gone, then the longest failing; the others in
	// config order.
	sort.SliceStable(page.Feeds, func(i, j int) bool {
		a, b := page.Feeds[i], page.Feeds[j]
		if a.Failing != b.Failing {
			return a.Failing
		}
		if a.Gone != b.Gone {
			return a.Gone
		}
		return a.ConsecutiveErrors > b.ConsecutiveErrors
	})
	page.Stories = forReaders(red, page.Stories)
	var buf bytes.Buffer
	if err := statusTemplate.Execute(&buf, page); err != nil {
		fail("template", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(buf.Bytes())
}

// ruleLabels shortens the deduplicator's rules (what `wirefeed explain`
// prints in full) for the status page: a label and a longer title.
var ruleLabels = map[wirefeed.MatchRule][2]string{
	wirefeed.RuleNew:           {"first", "this copy started the story"},
	wirefeed.RuleURL:           {"same link", "joined on the same canonical URL as a member"},
	wirefeed.RuleBody:          {"same text", "joined on a body identical to a member's after normalisation"},
	wirefeed.RuleNearDuplicate: {"near-copy", "joined as a near-copy of a member: most of its shingles shared or contained, opening alike"},
	wirefeed.RuleTitle:         {"same title", "joined on a near-identical title close in time (title-only copy)"},
}

// ruleLabel returns the label and title of a member's rule, or empty
// strings for an item stored before rules were kept.
func ruleLabel(rule wirefeed.MatchRule) (string, string) {
	base, merged := rule.Base()
	l, ok := ruleLabels[base]
	if !ok {
		return "", ""
	}
	if merged {
		return l[0] + ", joined stories", l[1] + "; it also showed two stories to be one, which were merged"
	}
	return l[0], l[1]
}
