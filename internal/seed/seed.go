// Package seed makes realistic, deterministic sample data: Swedish customers
// and invitees for trying invitectl and for benchmarks.
package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/invitectl/invitectl/internal/invite"
	"github.com/invitectl/invitectl/internal/personnummer"
)

var (
	companyFirst = []string{"Norrsken", "Fjäll", "Älvdal", "Ådal", "Östkust", "Björk", "Sjöbris", "Granskog", "Vårljus",
		"Höglands", "Mälar", "Skärgårds", "Lövsta", "Kvarn", "Sälen", "Åre", "Göta", "Ängs", "Strand", "Tall"}
	companySecond = []string{"Bygg", "Data", "Omsorg", "Logistik", "Konsult", "Energi", "Vård", "Teknik", "Media", "Handel"}
	companyForm   = []string{"AB", "AB", "AB", "HB", "Ekonomisk förening"}

	firstNames = []string{"Åsa", "Örjan", "Ängla", "Märta", "Björn", "Göran", "Sören", "Åke", "Ebba", "Elsa", "Alice",
		"Maja", "Astrid", "Wilma", "Olle", "Lars", "Karin", "Anna", "Erik", "Johan", "Nils", "Sven", "Ingrid",
		"Birgitta", "Lena", "Per", "Mikael", "Hanna", "Linnéa", "Moa", "Tove", "Axel", "Hugo", "Liam", "Zara",
		"Yusuf", "Amira", "Noah", "Elin", "Frida", "adam", "Bo", "Ylva", "Östen", "Ärla", "Idun"}
	lastNames = []string{"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
		"Svensson", "Gustafsson", "Öberg", "Åkesson", "Ängström", "Lindqvist", "Sjöberg", "Björklund", "Hägglund",
		"Fältskog", "Wallin", "Zetterlund", "Ek", "Ström", "Bäckström", "Nordin", "Lundgren", "Holm", "Åberg",
		"Söderberg", "Yilmaz", "Ali", "Hassan", "Kowalski", "Virtanen"}
	senders = []string{"anna.admin", "bengt.berg", "carina.ceder", "ops-bot"}

	// Personal numbers reserved for testing (shared/testdata/personnummer.md).
	testNumbers = []string{"18950629-9818", "19010821-9817", "20030606-2381", "20250308-2386", "20250824-2381", "20080212-2390"}
)

// Customers returns n distinct customer names.
func Customers(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		name := companyFirst[r.IntN(len(companyFirst))] + strings.ToLower(companySecond[r.IntN(len(companySecond))]) + " " + companyForm[r.IntN(len(companyForm))]
		if seen[name] {
			name = fmt.Sprintf("%s %d", name, len(out)+1)
		}
		seen[name] = true
		out = append(out, name)
	}
	return out
}

// Generator makes invitations one by one, deterministically for a seed.
type Generator struct {
	r         *rand.Rand
	customers []invite.Customer
	now       time.Time
	ttl       time.Duration
	offset    int // added to the running number that keeps emails unique
	n         int
	coord     []string
}

// NewGenerator returns a generator of invitations for the given customers.
// offset makes emails unique against invitations that already exist.
func NewGenerator(seed uint64, customers []invite.Customer, now time.Time, ttl time.Duration, offset int) *Generator {
	g := &Generator{r: rand.New(rand.NewPCG(seed, 0x1417)), customers: customers, now: now, ttl: ttl, offset: offset}
	// Coordination numbers: the test numbers' dates with 60 added to the day.
	for _, t := range testNumbers {
		d := t[2:6] + fmt.Sprintf("%02d", 60+int(t[6]-'0')*10+int(t[7]-'0')) + t[9:12]
		c, _ := personnummer.CheckDigit(d)
		g.coord = append(g.coord, t[:6]+d[4:6]+"-"+t[9:12]+string(c))
	}
	return g
}

// Next returns the next invitation. About one in six is expired, a few are
// revoked; details are filled in at realistic rates.
func (g *Generator) Next() invite.Invitation {
	r := g.r
	g.n++
	first := firstNames[r.IntN(len(firstNames))]
	last := lastNames[r.IntN(len(lastNames))]
	c := g.customers[r.IntN(len(g.customers))]
	created := g.now.Add(-time.Duration(r.Int64N(int64(500 * 24 * time.Hour)))).Truncate(time.Second)
	inv := invite.Invitation{
		CustomerID: c.ID,
		Customer:   c.Name,
		Email:      fmt.Sprintf("%s.%s.%d@example.se", asciiFold(first), asciiFold(last), g.offset+g.n),
		Language:   invite.Swedish,
		State:      invite.StatePending,
		CreatedAt:  created,
		LastSentAt: created,
		ExpiresAt:  created.Add(g.ttl),
		CreatedBy:  senders[r.IntN(len(senders))],
		SendCount:  1,
		Delivery:   invite.DeliverySent, // its one email went out when it was made
		Version:    1,
	}
	inv.FirstName, inv.LastName = first, last
	if r.IntN(10) == 0 {
		inv.Language = invite.English
	}
	switch r.IntN(10) {
	case 0, 1, 2:
	case 3:
		inv.SwedishCitizen = invite.No
	default:
		inv.SwedishCitizen = invite.Yes
	}
	if r.IntN(3) > 0 {
		inv.EUCitizen = invite.Yes
	}
	switch k := r.IntN(10); {
	case k < 6:
		inv.PersonalNumber = testNumbers[r.IntN(len(testNumbers))]
	case k < 7:
		inv.PersonalNumber = g.coord[r.IntN(len(g.coord))]
	}
	if r.IntN(8) == 0 {
		inv.LMANumber = fmt.Sprintf("%02d-%06d", r.IntN(100), r.IntN(1000000))
	}
	if r.IntN(3) > 0 {
		inv.Phone = fmt.Sprintf("+4670%07d", r.IntN(10000000))
	}
	switch r.IntN(6) {
	case 0:
		inv.Gender = invite.Female
	case 1:
		inv.Gender = invite.Male
	case 2:
		inv.Gender = invite.Other
	}
	if r.IntN(40) == 0 {
		inv.State = invite.StateRevoked
		inv.RevokedAt = created.Add(time.Hour)
	}
	return inv
}

// asciiFold turns a name into an email-friendly lower-case form.
func asciiFold(s string) string { return folder.Replace(strings.ToLower(s)) }

var folder = strings.NewReplacer("å", "a", "ä", "a", "ö", "o", "é", "e", "Å", "a", "Ä", "a", "Ö", "o")

// Batch returns the next n invitations.
func (g *Generator) Batch(n int) []invite.Invitation {
	out := make([]invite.Invitation, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

// EnsureCustomers returns the customers with the given names, creating those
// that do not exist yet, at time now, as invite.Service.EnsureCustomers does:
// for a store without a Service (benchmarks).
func EnsureCustomers(ctx context.Context, s invite.Store, names []string, actor string, now time.Time) ([]invite.Customer, error) {
	svc := &invite.Service{Store: s, Now: func() time.Time { return now }}
	return svc.EnsureCustomers(ctx, actor, names)
}
