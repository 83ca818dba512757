package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/cast"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/web"
)

// configKey describes one configuration key.
type configKey struct {
	name   string
	flag   string // global or command flag bound to it, if any
	def    func(c *Config) string
	secret bool
	help   string
}

// valueKind is the type of a configuration value, named for people.
type valueKind string

const (
	kindInt      valueKind = "a whole number"
	kindFloat    valueKind = "a number"
	kindBool     valueKind = "true or false"
	kindDuration valueKind = "a positive duration such as 365d or 8760h"
)

// keys lists every configuration key. Each has the env name INVITECTL_ +
// upper-cased key with "." replaced by "_".
var keys = []configKey{
	{name: "db", flag: "db", def: func(c *Config) string { return filepath.Join(c.dataHome(), "invitectl", "invitectl.db") }, help: "the store: a file path, sqlite://PATH or postgres://…"},
	{name: "actor", flag: "as", def: func(c *Config) string { return c.username }, help: "who is acting (Sent by, audit log)"},
	{name: "output", flag: "output", def: func(*Config) string { return "table" }, help: "table, wide, json, csv or xlsx (list, to a file)"},
	{name: "pager", def: func(*Config) string { return defaultPager }, help: "the command a long table on a terminal goes through (PAGER wins; empty: none)"},
	{name: "quiet", flag: "quiet", def: func(*Config) string { return "false" }, help: "no notices and no progress on stderr (errors and hints still)"},
	{name: "mail.transport", def: func(c *Config) string {
		if c.v.GetString("smtp.host") != "" {
			return "smtp"
		}
		return "file"
	}, help: "smtp or file"},
	{name: "mail.from", def: func(c *Config) string {
		if c.v.GetString("mail.transport") == "file" {
			return "invitectl@localhost"
		}
		return "" // SMTP needs a real sender: the mailer says so
	}, help: "sender address (required for smtp)"},
	{name: "mail.from_name", help: "the sender's display name: the organisation the emails come from"},
	{name: "mail.dir", def: func(c *Config) string { return filepath.Join(c.dataHome(), "invitectl", "outbox") }, help: "folder for the file transport"},
	{name: "smtp.host", help: "SMTP server host"},
	{name: "smtp.port", help: "SMTP server port (default by encryption: 465 for tls, 25 for none, else 587)"},
	{name: "smtp.username", help: "SMTP user name"},
	{name: "smtp.password", secret: true, help: "SMTP password"},
	{name: "smtp.encryption", help: "none, starttls or tls (default by port)"},
	{name: "smtp.connections", def: func(*Config) string { return "4" }, help: "how many connections deliver uses at once"},
	{name: "smtp.ca_file", help: "PEM file of certificate authorities to trust besides the system's"},
	{name: "smtp.timeout", def: func(*Config) string { return "10s" }, help: "connect and per-command timeout (a whole message may take three times this)"},
	{name: "base_url", flag: "base-url", def: func(*Config) string { return "http://127.0.0.1:8080" }, help: "public address of serve-accept, used in links"},
	{name: "listen", flag: "listen", def: func(*Config) string { return "127.0.0.1:8080" }, help: "address serve-accept listens on"},
	{name: "metrics_listen", help: "address for Prometheus /metrics of serve-accept; empty: off"},
	{name: "invitation_ttl", def: func(*Config) string { return "8760h" }, help: "link validity"},
	{name: "default_language", def: func(*Config) string { return "sv" }, help: "sv or en"},
	{name: "link_secret", secret: true, help: "secrets for link tokens, comma-separated; the first signs (default: a file beside the SQLite database)"},
	{name: "privacy_policy_url", help: "redirect /privacy here instead of the built-in page"},
	{name: "rate_limit", def: func(*Config) string { return fmt.Sprint(float64(web.DefaultRateLimit)) }, help: "requests per second per client on /invite/"},
	{name: "rate_burst", def: func(*Config) string { return strconv.Itoa(web.DefaultRateBurst) }, help: "burst of requests per client on /invite/"},
	{name: "trust_proxy_headers", def: func(*Config) string { return "false" }, help: "take the client address from X-Forwarded-For: its right-most entry"},
	{name: "trusted_proxies", help: "with trust_proxy_headers, your proxies' CIDRs, comma-separated: the client is the right-most X-Forwarded-For entry not in them"},
	{name: "webhook.url", help: "where events are POSTed: https://…, or http:// to a loopback address; empty: no events"},
	{name: "webhook.secret", secret: true, help: "the Standard Webhooks secret (whsec_…) that signs events; `invitectl webhook secret` makes one"},
	{name: "webhook.events", def: func(*Config) string { return "all" }, help: "event types to send, comma-separated, or all"},
	{name: "webhook.include_personal_number", def: func(*Config) string { return "false" }, help: "send personal numbers unmasked in events"},
}

// EnvName returns the environment variable for a config key.
func EnvName(key string) string {
	return "INVITECTL_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Config is the effective configuration: one viper instance holding flag,
// environment, config-file and default values in viper's layers (bound
// flags, the config layer with the environment merged over the file, and
// defaults), and where each value came from.
type Config struct {
	v        *viper.Viper
	getenv   func(string) string
	username string
	file     string // config file read, "" when none
	source   map[string]string
	set      Settings             // the typed values
	bad      map[string]valueKind // keys whose value is not of their kind
}

// loadConfig resolves the configuration for a command: flag > environment >
// config file > default.
func loadConfig(cmd *cobra.Command, env *Env) (*Config, error) {
	c := &Config{v: viper.New(), getenv: env.Getenv, username: env.Username, source: map[string]string{}}
	path, explicit := "", false
	if f := cmd.Flags().Lookup("config"); f != nil && f.Changed {
		path, explicit = f.Value.String(), true
	} else if p := env.Getenv("INVITECTL_CONFIG"); p != "" {
		path, explicit = p, true
	} else {
		path = c.defaultConfigPath()
	}
	if _, err := os.Stat(path); err == nil {
		c.v.SetConfigFile(path)
		if err := c.v.ReadInConfig(); err != nil {
			return nil, usageError("fix the file's YAML syntax, or point --config elsewhere", "reading config file %s: %v", path, err)
		}
		c.file = path
		c.warnUnknownKeys(env.IO.ErrOut, c.v.AllKeys())
	} else if explicit {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageError("create it, or drop --config / INVITECTL_CONFIG to use the defaults", "config file %s does not exist", path)
		}
		return nil, fmt.Errorf("reading config file: %w", err)
	}
	fromFile := c.v.AllKeys()
	// The environment is cli.Env's, never the process's: viper reads the
	// process environment itself (AutomaticEnv, BindEnv), which would let the
	// host's variables into tests. Merged over the file's values, it is the
	// layer between flags and the file.
	fromEnv := map[string]any{}
	for _, k := range keys {
		if val := env.Getenv(EnvName(k.name)); val != "" {
			setNested(fromEnv, k.name, val)
			c.source[k.name] = "env " + EnvName(k.name)
		}
	}
	if err := c.v.MergeConfigMap(fromEnv); err != nil {
		return nil, fmt.Errorf("reading the environment: %w", err)
	}
	// A bound flag wins when it was given; viper ignores it otherwise.
	for _, k := range keys {
		if k.flag == "" {
			continue
		}
		if fl := cmd.Flags().Lookup(k.flag); fl != nil {
			if err := c.v.BindPFlag(k.name, fl); err != nil {
				return nil, err
			}
			if fl.Changed {
				c.source[k.name] = "flag --" + k.flag
			}
		}
	}
	for _, k := range fromFile {
		if _, ok := c.source[k]; !ok {
			c.source[k] = "config " + c.file
		}
	}
	// Defaults last: some depend on other keys (mail.transport on smtp.host).
	for _, k := range keys {
		if _, ok := c.source[k.name]; !ok && k.def != nil {
			c.v.SetDefault(k.name, k.def(c))
			c.source[k.name] = "default"
		}
	}
	c.decode()
	return c, nil
}

// setNested sets a dotted key ("smtp.host") in nested maps, the shape
// viper's config layer has.
func setNested(m map[string]any, key string, val any) {
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		sub, ok := m[p].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[p] = sub
		}
		m = sub
	}
	m[parts[len(parts)-1]] = val
}

func (c *Config) defaultConfigPath() string {
	return filepath.Join(c.configHome(), "invitectl", "config.yaml")
}

func (c *Config) home() string {
	if h := c.getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

func (c *Config) dataHome() string {
	if d := c.getenv("XDG_DATA_HOME"); d != "" {
		return d
	}
	return filepath.Join(c.home(), ".local", "share")
}

func (c *Config) configHome() string {
	if d := c.getenv("XDG_CONFIG_HOME"); d != "" {
		return d
	}
	return filepath.Join(c.home(), ".config")
}

// String returns a string value.
func (c *Config) String(key string) string { return strings.TrimSpace(c.v.GetString(key)) }

// Settings is the configuration, typed. Viper decodes every key into it
// (decode); a key whose value has the wrong type is left zero there and
// refused only by the commands that read it (valid): a bad smtp.port does
// not stop list.
type Settings struct {
	Quiet bool `mapstructure:"quiet"`
	Mail  struct {
		Transport string `mapstructure:"transport"`
		From      string `mapstructure:"from"`
		FromName  string `mapstructure:"from_name"`
		Dir       string `mapstructure:"dir"`
	} `mapstructure:"mail"`
	SMTP struct {
		Host        string        `mapstructure:"host"`
		Port        int           `mapstructure:"port"`
		Username    string        `mapstructure:"username"`
		Password    string        `mapstructure:"password"`
		Encryption  string        `mapstructure:"encryption"`
		Connections int           `mapstructure:"connections"`
		CAFile      string        `mapstructure:"ca_file"`
		Timeout     time.Duration `mapstructure:"timeout"`
	} `mapstructure:"smtp"`
	InvitationTTL     time.Duration `mapstructure:"invitation_ttl"`
	RateLimit         float64       `mapstructure:"rate_limit"`
	RateBurst         int           `mapstructure:"rate_burst"`
	TrustProxyHeaders bool          `mapstructure:"trust_proxy_headers"`
	Webhook           struct {
		IncludePersonalNumber bool `mapstructure:"include_personal_number"`
	} `mapstructure:"webhook"`
}

// kindError is a value that is not of its key's kind.
type kindError struct{ kind valueKind }

func (e kindError) Error() string { return "not " + string(e.kind) }

// decode fills c.set with viper's typed unmarshalling and records each key
// whose value does not decode.
func (c *Config) decode() {
	c.bad = map[string]valueKind{}
	err := c.v.Unmarshal(&c.set, viper.DecodeHook(strictValue))
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case *mapstructure.DecodeError:
			if ke, ok := e.Unwrap().(kindError); ok {
				c.bad[e.Name()] = ke.kind
			} else {
				walk(e.Unwrap())
			}
		case interface{ Unwrap() []error }:
			for _, e := range e.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
}

// strictValue is the decode hook of the typed settings: a value read as
// text (a flag, the environment, YAML) is parsed strictly, not the way
// mapstructure's weak typing does ("1.5" is not the whole number 1, "010" is
// not 8), and durations take d for days.
func strictValue(_ reflect.Type, to reflect.Type, data any) (any, error) {
	kind := valueKindOf(to)
	if kind == "" {
		if s, ok := data.(string); ok {
			return strings.TrimSpace(s), nil
		}
		return data, nil
	}
	s := strings.TrimSpace(cast.ToString(data))
	if s == "" {
		return reflect.Zero(to).Interface(), nil
	}
	var v any
	var err error
	switch kind {
	case kindInt:
		v, err = strconv.Atoi(s)
	case kindFloat:
		v, err = strconv.ParseFloat(s, 64)
	case kindBool:
		v, err = parseBool(s)
	case kindDuration:
		d, ok := parseDuration(s)
		v = d
		if !ok {
			err = errors.New("not a duration")
		}
	}
	if err != nil {
		return nil, kindError{kind}
	}
	return v, nil
}

// valueKindOf is the kind of the settings' field type t; "" for text and
// sections.
func valueKindOf(t reflect.Type) valueKind {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return kindDuration
	case t.Kind() == reflect.Int:
		return kindInt
	case t.Kind() == reflect.Float64:
		return kindFloat
	case t.Kind() == reflect.Bool:
		return kindBool
	}
	return ""
}

// parseBool accepts strconv's spellings (true, false, 1, 0, t, f) and
// yes/no, on/off.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes", "on":
		return true, nil
	case "no", "off":
		return false, nil
	}
	return strconv.ParseBool(s)
}

// valid refuses the first of keys whose value did not decode, naming the
// key, its value and its source. Every command calls it with the typed keys
// it reads, before reading them from c.set.
func (c *Config) valid(keys ...string) error {
	for _, k := range keys {
		if kind, ok := c.bad[k]; ok {
			return c.typeError(k, kind)
		}
	}
	return nil
}

func (c *Config) typeError(key string, kind valueKind) error {
	return usageError(fmt.Sprintf("set %s to %s", key, kind), "invalid %s %q (from %s)", key, c.String(key), c.sourceOf(key))
}

func (c *Config) sourceOf(key string) string {
	if src := c.source[key]; src != "" && (src != "default" || c.String(key) != "") {
		return src
	}
	return "unset"
}

// BaseURL returns base_url, checked: an absolute http or https URL with a
// host and no query or fragment, since links are made by appending a path.
func (c *Config) BaseURL() (string, error) {
	raw := c.String("base_url")
	u, err := url.Parse(raw)
	bad := ""
	switch {
	case err != nil:
		bad = "it is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		bad = "it does not start with http:// or https://"
	case u.Host == "" || u.Hostname() == "":
		bad = "it has no host"
	case u.User != nil:
		bad = "it holds a user name"
	case u.RawQuery != "" || u.ForceQuery:
		bad = "it has a query (?…)"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		bad = "it has a fragment (#…)"
	}
	if bad != "" {
		return "", usageError("set base_url (INVITECTL_BASE_URL, --base-url) to the public address of serve-accept, e.g. https://invite.example.com",
			"invalid base_url %q (from %s): %s", raw, c.sourceOf("base_url"), bad)
	}
	return raw, nil
}

// withSource adds where a key came from to an invalid-configuration error
// that names the key (the mail package's errors name keys, not sources).
func (c *Config) withSource(err error) error {
	var e *invite.Error
	if !errors.As(err, &e) || e.Code != invite.EINVALID || strings.Contains(e.Message, "(from ") {
		return err
	}
	best := ""
	for _, k := range keys {
		if len(k.name) > len(best) && containsWord(e.Message, k.name) {
			best = k.name
		}
	}
	if best == "" || c.sourceOf(best) == "unset" {
		return err
	}
	cp := *e
	cp.Message = fmt.Sprintf("%s (from %s)", e.Message, c.sourceOf(best))
	return &cp
}

// containsWord reports whether key occurs in s not as part of a longer key.
func containsWord(s, key string) bool {
	isKeyByte := func(b byte) bool { return b == '_' || b == '.' || b >= 'a' && b <= 'z' }
	for i := 0; ; {
		j := strings.Index(s[i:], key)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(key)
		if (j == 0 || !isKeyByte(s[j-1])) && (end == len(s) || !isKeyByte(s[end]) || s[end] == '.' && (end+1 == len(s) || !isKeyByte(s[end+1]))) {
			return true
		}
		i = j + 1
	}
}

// checkTypes refuses any key of the wrong type: `config show` reports it
// even for a key no other command would read now.
func (c *Config) checkTypes() error {
	for _, k := range keys {
		if err := c.valid(k.name); err != nil {
			return err
		}
	}
	return nil
}

// warnUnknownKeys names each key of the config file that invitectl does not
// know, with the closest known key when one is near (a typo).
func (c *Config) warnUnknownKeys(w io.Writer, fileKeys []string) {
	for _, fk := range fileKeys {
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = k.name
		}
		if slices.Contains(names, fk) {
			continue
		}
		best := closest(fk, names)
		fmt.Fprintf(w, "invitectl: warning: unknown key %q in config file %s", fk, c.file)
		if best != "" {
			fmt.Fprintf(w, "; did you mean %q?", best)
		}
		fmt.Fprintln(w)
	}
}

// checkActor applies the actor rule to a given actor. The OS user name, the
// default, is not the user's typing: when it breaks the rule the actor is
// left unknown instead.
func (c *Config) checkActor() error {
	actor, err := invite.ValidateActor(c.String("actor"))
	if err == nil {
		c.v.Set("actor", actor)
		return nil
	}
	if c.source["actor"] == "default" {
		c.v.Set("actor", "")
		return nil
	}
	return usageError("give --as (or INVITECTL_ACTOR, or actor in the config file) 1 to 100 printable characters, e.g. --as \"Åsa Lind\"",
		"invalid actor from %s: %v", c.source["actor"], err)
}

// configEntry is one row of `config show`.
type configEntry struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
	Env    string `json:"env"`
}

// entries lists the effective configuration with secrets redacted.
func (c *Config) entries() []configEntry {
	out := make([]configEntry, 0, len(keys))
	for _, k := range keys {
		val := c.String(k.name)
		if k.secret && val != "" {
			val = "<redacted>"
		}
		if k.name == "db" {
			val = redactDSN(val)
		}
		src := c.sourceOf(k.name)
		if k.name == "mail.from" && val == "" && c.String("mail.transport") == "smtp" {
			src = "unset: required for smtp"
		}
		out = append(out, configEntry{Key: k.name, Value: val, Source: src, Env: EnvName(k.name)})
	}
	return out
}

// addGlobalFlags registers the flags every command has.
func addGlobalFlags(fs *pflag.FlagSet) {
	fs.String("db", "", "the store `DSN`: a file path, sqlite://PATH or postgres://… (env INVITECTL_DB)")
	fs.String("config", "", "config `FILE` (env INVITECTL_CONFIG; default $XDG_CONFIG_HOME/invitectl/config.yaml)")
	fs.String("as", "", "`NAME` of who is acting, recorded as Sent by and in the audit log (env INVITECTL_ACTOR)")
	fs.StringP("output", "o", "table", "output `FORMAT`: table, wide (every column), json, csv, or xlsx (list, to a file)")
	fs.String("jq", "", "filter the JSON output with the jq expression `EXPR` (implies -o json; the whole output, even of list --all, is held in memory)")
	fs.String("template", "", "render the JSON output with a Go template `TEXT` (implies -o json; the whole output is held in memory)")
	fs.BoolP("quiet", "q", false, "no notices and no progress on stderr; errors and hints still (env INVITECTL_QUIET)")
	fs.Bool("no-pager", false, "print a long table as it is, not through the pager (PAGER, or the pager setting; default less -FRX)")
	fs.Bool("no-color", false, "no colour (also when NO_COLOR is set or stdout is not a terminal)")
}
