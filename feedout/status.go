package feedout

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"time"

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
}).ParseFS(templates, "templates/status.html"))

// statusStories is how many of the latest stories the status page shows.
const statusStories = 30

type statusPage struct {
	Title     string
	Feeds     []wirefeed.FeedState
	Failing   int
	Totals    wirefeed.Totals
	NextCycle time.Time
	Outputs   []Output
	Stories   []wirefeed.Story
}

// status renders the operator's page: feeds with their health, the latest
// stories of the main feed with their member outlets (the representative
// marked) and totals. It needs no JavaScript.
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
	// Configured feeds first, in config order; then any the database
	// still remembers.
	listed := map[string]bool{}
	for _, f := range h.opts.Feeds {
		st, ok := states[f.Name]
		if !ok {
			st = wirefeed.FeedState{Name: f.Name, URL: f.URL}
		}
		page.Feeds = append(page.Feeds, st)
		listed[f.Name] = true
	}
	var rest []wirefeed.FeedState
	for name, st := range states {
		if !listed[name] {
			rest = append(rest, st)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].Name < rest[j].Name })
	page.Feeds = append(page.Feeds, rest...)
	// The page shows text from sources and from the operator: URLs lose
	// their secrets, names and titles the characters that spoof what they
	// look like (and the template isolates each in <bdi>).
	red := h.opts.Meta.Redact
	for i, st := range page.Feeds {
		if st.ConsecutiveErrors > 0 || st.Gone {
			page.Failing++
		}
		st.Name, st.Title = htmlsafe.Label(st.Name), htmlsafe.Label(st.Title)
		st.URL, st.ConfigURL, st.LastError = red.URL(st.URL), red.URL(st.ConfigURL), htmlsafe.Label(red.Text(st.LastError))
		page.Feeds[i] = st
	}
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
