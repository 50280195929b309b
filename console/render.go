package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// page is what every page's template gets.
type page struct {
	Title string
	Tab   string
	Who   string
	CSRF  string
	Tabs  map[string]bool // the tabs the session may open
	Flash string
	Error string
	Data  any
}

var funcs = template.FuncMap{
	"money":   formatMoney,
	"when":    formatTime,
	"dur":     formatSeconds,
	"query":   func(v url.Values) template.URL { return template.URL(v.Encode()) },
	"neg":     func(s string) bool { return strings.HasPrefix(s, "-") },
	"percent": func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
}

// parsePages parses each page with the layout, once, at start.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(assets, "assets/templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "assets/templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(assets, "assets/templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", base, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// render writes a page (or, with fragment, only its block of that name).
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, code int, name string, p page) {
	if s != nil {
		p.Who, p.CSRF = s.who(), s.csrf
		p.Tabs = c.tabs(r.Context(), s)
	}
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		c.log.Error("console: render", "page", name, "error", err)
		http.Error(w, "the page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}

// renderBlock renders one named block of a page: what a live view pushes.
func (c *Console) renderBlock(name, block string, data any) (string, error) {
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, block, data); err != nil {
		return "", fmt.Errorf("render %s/%s: %w", name, block, err)
	}
	return buf.String(), nil
}

// fail shows an API refusal or error as a page: a 403 of the API is a
// 403 page that says the role does not permit it.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, tab string, err error) {
	code, msg := http.StatusBadGateway, err.Error()
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized && s != nil {
		// The token was revoked (or the user removed) by a reload: the
		// session ends with it.
		c.sessions.remove(s.id)
		setSessionCookie(w, r, "", -1)
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	if errors.As(err, &ae) {
		code, msg = ae.Status, ae.Message
		if ae.Status == http.StatusForbidden {
			msg = "Your sign-in does not permit this page. " + ae.Message
		}
	}
	c.log.Debug("console: page refused", "tab", tab, "status", code, "error", err)
	c.render(w, r, s, code, "error", page{Title: "Not available", Tab: tab, Error: msg})
}

func formatMoney(s string) string {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	return d.StringFixed(2)
}

func formatTime(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	case string:
		p, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return x
		}
		t = p
	default:
		return fmt.Sprint(v)
	}
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func formatSeconds(n int64) string {
	return fmt.Sprintf("%d:%02d", n/60, n%60)
}
