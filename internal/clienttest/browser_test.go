package clienttest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// chromium runs headless Chromium as CI does (as root, so without the
// sandbox), with a fresh profile and no network of its own.
func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, "chromium", append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestStatusPageInChromium loads the status page in headless Chromium
// after three rounds of republishing, checks the rendered DOM for the
// feeds table and the four-outlet cluster with its representative, and
// keeps a screenshot in .ci/artifacts.
func TestStatusPageInChromium(t *testing.T) {
	requireClients(t, "chromium")
	d := startDaemon(t)
	d.waitRound(t, 3)

	dom := chromium(t, "--dump-dom", d.base+"/")
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}

	table := find(doc, func(n *html.Node) bool { return n.Data == "table" && attr(n, "id") == "feeds" })
	if table == nil {
		t.Fatalf("no table#feeds in the rendered DOM:\n%s", dom)
	}
	rows := findAll(table, func(n *html.Node) bool { return n.Data == "tr" && strings.Contains(attr(n, "class"), "feed") })
	if len(rows) != len(d.world.Outlets) {
		t.Errorf("feeds table has %d rows, want %d", len(rows), len(d.world.Outlets))
	}
	for _, o := range d.world.Outlets {
		found := false
		for _, r := range rows {
			cells := findAll(r, func(n *html.Node) bool { return n.Data == "td" })
			if len(cells) == 7 && text(cells[0]) == o.Name {
				found = true
				if health := text(cells[1]); !strings.HasPrefix(health, "ok") {
					t.Errorf("feed %s health %q, want ok", o.Name, health)
				}
			}
		}
		if !found {
			t.Errorf("feeds table has no row of 7 cells for %s", o.Name)
		}
	}

	// The health summary comes first, then the stories.
	var order []string
	for _, n := range findAll(doc, func(n *html.Node) bool {
		return (n.Data == "table" && attr(n, "id") == "feeds") || (n.Data == "ol" && attr(n, "id") == "stories")
	}) {
		order = append(order, attr(n, "id"))
	}
	if strings.Join(order, ",") != "feeds,stories" {
		t.Errorf("page order %q, want the feeds table before the stories", order)
	}
	if find(doc, func(n *html.Node) bool { return n.Data == "script" }) != nil {
		t.Error("the status page has a script")
	}

	stories := findAll(doc, func(n *html.Node) bool { return n.Data == "li" && attr(n, "class") == "story" })
	if want := len(d.world.Visible(3, notSport)); len(stories) != want {
		t.Errorf("%d stories on the page, want %d", len(stories), want)
	}
	var cluster *html.Node
	for _, s := range stories {
		members := findAll(s, func(n *html.Node) bool { return n.Data == "li" && strings.Contains(attr(n, "class"), "member") })
		if len(members) != 4 {
			continue
		}
		cluster = s
		var outlets, reps []string
		for _, m := range members {
			outlets = append(outlets, text(find(m, func(n *html.Node) bool { return attr(n, "class") == "outlet" })))
			if strings.Contains(attr(m, "class"), "rep") {
				reps = append(reps, text(m))
			}
		}
		var rules []string
		for _, m := range members {
			rules = append(rules, text(find(m, func(n *html.Node) bool { return attr(n, "class") == "rule" })))
		}
		if !slices.Contains(rules, "first") || len(slices.DeleteFunc(slices.Clone(rules), func(r string) bool { return r == "" })) != 4 {
			t.Errorf("cluster %s: member rules %q, want one each and a first", attr(s, "data-cluster"), rules)
		}
		if len(reps) != 1 || !strings.Contains(reps[0], "(representative)") {
			t.Errorf("cluster %s: representatives %q, want exactly one marked", attr(s, "data-cluster"), reps)
		}
		for _, want := range []string{"Wire Agency", "Daily Paper", "Content Farm", "Regional Post"} {
			if !strings.Contains(strings.Join(outlets, "|"), want) {
				t.Errorf("cluster %s lists outlets %q, missing %s", attr(s, "data-cluster"), outlets, want)
			}
		}
	}
	if cluster == nil {
		t.Errorf("no story with its four member outlets on the page")
	}
	for _, id := range []string{"total-stories", "total-merged", "total-items"} {
		if n := find(doc, func(n *html.Node) bool { return attr(n, "id") == id }); n == nil || text(n) == "" {
			t.Errorf("total %s missing", id)
		}
	}

	artifacts := filepath.Join("..", "..", ".ci", "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	shot, err := filepath.Abs(filepath.Join(artifacts, "status-page.png"))
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(shot)
	chromium(t, "--hide-scrollbars", "--window-size=1280,1600", "--screenshot="+shot, d.base+"/")
	png, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 10000 {
		t.Fatalf("screenshot %s: %d bytes, %v", shot, len(png), err)
	}
	t.Logf("screenshot of the status page: %s (%d bytes)", shot, len(png))
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if all := findAll(n, match); len(all) > 0 {
		return all[0]
	}
	return nil
}

// text is the node's text content with white space folded.
func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}
