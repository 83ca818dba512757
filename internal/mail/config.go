package mail

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	netmail "net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
)

// Transports.
const (
	TransportSMTP = "smtp"
	TransportFile = "file"
)

// Encryption modes for SMTP.
const (
	EncryptionNone     = "none"
	EncryptionSTARTTLS = "starttls"
	EncryptionTLS      = "tls"
)

// Defaults.
const (
	DefaultFileFrom       = "invitectl@localhost"
	DefaultConnectTimeout = 10 * time.Second
	DefaultSendTimeout    = 30 * time.Second
)

// Config selects and configures a transport. Field comments name the config
// keys they come from, because those are what error messages point users to.
type Config struct {
	Transport string // mail.transport: smtp or file; empty: smtp when Host is set, else file
	From      string // mail.from: "Name <address>" or a bare address; required for smtp
	FromName  string // mail.from_name: the sender's display name (the organisation); wins over a name in From
	Dir       string // mail.dir: where the file transport writes .eml files

	Host       string // smtp.host
	Port       int    // smtp.port; 0: 465 for tls, 25 for none, else 587
	Username   string // smtp.username; enables AUTH
	Password   string // smtp.password
	Encryption string // smtp.encryption: none, starttls, tls; empty: by port

	ConnectTimeout time.Duration // dial, greeting, TLS and AUTH; 0: DefaultConnectTimeout
	SendTimeout    time.Duration // one message, NOOP included; 0: DefaultSendTimeout

	// TLSConfig, when set, is used for STARTTLS and implicit TLS, e.g. to
	// trust a private certificate authority. ServerName defaults to Host.
	TLSConfig *tls.Config
	// CAFile (smtp.ca_file) is a PEM file of certificate authorities to
	// trust besides the system's.
	CAFile string
	// Now is the clock for Date headers and file names; nil: time.Now.
	Now func() time.Time
	// Written, when set, is told where the file transport wrote each
	// message: the command line says so.
	Written func(to, path string)
}

// settings is a validated Config with every default filled in.
type settings struct {
	transport  string
	from       *netmail.Address
	dir        string
	host       string
	port       int
	username   string
	password   string
	encryption string
	connectTO  time.Duration
	sendTO     time.Duration
	tlsConfig  *tls.Config
	now        func() time.Time
}

// addr is host:port, as people read it in errors.
func (s settings) addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

func (c Config) resolve() (settings, error) {
	s := settings{
		transport:  strings.ToLower(strings.TrimSpace(c.Transport)),
		dir:        c.Dir,
		host:       strings.TrimSpace(c.Host),
		port:       c.Port,
		username:   c.Username,
		password:   c.Password,
		encryption: strings.ToLower(strings.TrimSpace(c.Encryption)),
		connectTO:  c.ConnectTimeout,
		sendTO:     c.SendTimeout,
		tlsConfig:  c.TLSConfig,
		now:        c.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.transport == "" {
		s.transport = TransportFile
		if s.host != "" {
			s.transport = TransportSMTP
		}
	}
	var err error
	switch s.transport {
	case TransportFile:
		err = s.resolveFile(c.From)
	case TransportSMTP:
		err = s.resolveSMTP(c.From, c.CAFile)
	default:
		return s, invite.Errorf(invite.EINVALID, "unknown mail.transport %q", c.Transport).
			WithHint("use smtp (with smtp.host) or file (with mail.dir)")
	}
	if err == nil && strings.TrimSpace(c.FromName) != "" {
		s.from.Name = oneLine(strings.TrimSpace(c.FromName)) // mail.from_name wins over a name in mail.from
	}
	return s, err
}

func (s *settings) resolveFile(from string) error {
	if strings.TrimSpace(s.dir) == "" {
		return invite.Errorf(invite.EINVALID, "mail.dir is not set for the file transport").
			WithHint("set mail.dir (INVITECTL_MAIL_DIR) to the folder the .eml files should go to")
	}
	if strings.TrimSpace(from) == "" {
		from = DefaultFileFrom
	}
	var err error
	s.from, err = parseFrom(from)
	return err
}

func (s *settings) resolveSMTP(from, caFile string) error {
	if s.host == "" {
		return invite.Errorf(invite.EINVALID, "smtp.host is not set").
			WithHint("set smtp.host (INVITECTL_SMTP_HOST), or set mail.transport to file to write messages to mail.dir instead")
	}
	if strings.ContainsAny(s.host, " /:@") && net.ParseIP(s.host) == nil {
		return invite.Errorf(invite.EINVALID, "invalid smtp.host %q", s.host).
			WithHint("give a host name or IP address only, and the port in smtp.port")
	}
	if strings.TrimSpace(from) == "" {
		return invite.Errorf(invite.EINVALID, "mail.from is not set").
			WithHint(`set mail.from (INVITECTL_MAIL_FROM) to the sender, e.g. "Invitations <invitations@example.com>"`)
	}
	var err error
	if s.from, err = parseFrom(from); err != nil {
		return err
	}
	if s.port < 0 || s.port > 65535 {
		return invite.Errorf(invite.EINVALID, "invalid smtp.port %d", s.port).
			WithHint("use 587 for STARTTLS, 465 for TLS or 25 for none")
	}
	switch s.encryption {
	case "":
		switch s.port {
		case 465:
			s.encryption = EncryptionTLS
		case 587, 0:
			s.encryption = EncryptionSTARTTLS
		default:
			s.encryption = EncryptionNone
		}
	case EncryptionNone, EncryptionSTARTTLS, EncryptionTLS:
	default:
		return invite.Errorf(invite.EINVALID, "unknown smtp.encryption %q", s.encryption).
			WithHint("use none, starttls or tls")
	}
	if s.port == 0 {
		switch s.encryption {
		case EncryptionTLS:
			s.port = 465
		case EncryptionNone:
			s.port = 25
		default:
			s.port = 587
		}
	}
	if s.password != "" && s.username == "" {
		return invite.Errorf(invite.EINVALID, "smtp.password is set but smtp.username is not").
			WithHint("set smtp.username (INVITECTL_SMTP_USERNAME) too, or remove smtp.password")
	}
	if s.username != "" && s.password == "" {
		return invite.Errorf(invite.EINVALID, "smtp.username is set but smtp.password is empty").
			WithHint("set smtp.password (INVITECTL_SMTP_PASSWORD)")
	}
	// A password sent in the clear can be read by anyone on the path; only
	// this machine's own loopback is exempt.
	if s.username != "" && s.encryption == EncryptionNone && !isLoopback(s.host) {
		return invite.Errorf(invite.EINVALID, "refusing to send the SMTP password unencrypted to %s", s.addr()).
			WithHint("set smtp.encryption to starttls (usually port 587) or tls (usually port 465)")
	}
	if c := strings.TrimSpace(caFile); c != "" {
		if err := s.trustCAFile(c); err != nil {
			return err
		}
	}
	if s.connectTO < 0 || s.sendTO < 0 {
		return invite.Errorf(invite.EINVALID, "SMTP timeouts must not be negative")
	}
	if s.connectTO == 0 {
		s.connectTO = DefaultConnectTimeout
	}
	if s.sendTO == 0 {
		s.sendTO = DefaultSendTimeout
	}
	return nil
}

// trustCAFile adds the certificate authorities of the PEM file path to the
// system's for this server.
func (s *settings) trustCAFile(path string) error {
	pem, err := os.ReadFile(path)
	if err != nil {
		return invite.Errorf(invite.EINVALID, "reading smtp.ca_file: %v", err).
			WithHint("set smtp.ca_file to a PEM file of the certificate authority that signed the server's certificate, or unset it")
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return invite.Errorf(invite.EINVALID, "smtp.ca_file %s holds no PEM certificate", path).
			WithHint("give a PEM file, with -----BEGIN CERTIFICATE----- blocks, e.g. the CA's .crt or .pem")
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.tlsConfig != nil {
		c = s.tlsConfig.Clone()
	}
	c.RootCAs = pool
	s.tlsConfig = c
	return nil
}

func parseFrom(from string) (*netmail.Address, error) {
	a, err := netmail.ParseAddress(strings.TrimSpace(from))
	if err != nil {
		return nil, invite.Errorf(invite.EINVALID, "invalid mail.from %q: %v", from, err).
			WithHint(`use an address such as invitations@example.com or "Invitations <invitations@example.com>"`)
	}
	return a, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
