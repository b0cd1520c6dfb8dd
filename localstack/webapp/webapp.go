// Package webapp is the demo's browser client: a static page that calls the
// Portico API from another origin with fetch() and a bearer token, and shows
// what the page could read of each answer (a valid token's, an expired
// token's 401, a JSON POST's). make demo serves it at
// https://app.portico.local (the origin the demo's CORS policy allows); the
// end-to-end tests load it in a headless Chromium.
package webapp

import (
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
)

//go:embed index.html
var page []byte

// Origin is the origin the demo serves the page from, and the one its CORS
// policy allows.
const Origin = "https://app.portico.local"

// Config is what the page is given.
type Config struct {
	// API is the stage's invoke URL, without a trailing slash.
	API string `json:"api"`
	// Token is a valid bearer token; ExpiredToken one that expired.
	Token        string `json:"token"`
	ExpiredToken string `json:"expiredToken"`
}

// Validate reports a Config the page cannot use.
func (c Config) Validate() error {
	u, err := url.Parse(c.API)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("webapp: API must be the invoke URL, http or https")
	}
	if c.Token == "" || c.ExpiredToken == "" {
		return errors.New("webapp: Token and ExpiredToken are required")
	}
	return nil
}

// Handler serves the page at / and its configuration at /config.js.
func Handler(cfg Config) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	configJS := append(append([]byte("const PORTICO = "), js...), ";\n"...)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(page)
	})
	mux.HandleFunc("GET /config.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(configJS)
	})
	return mux, nil
}
