package sqlite
import ("testing";"context";"path/filepath";"time";"math/rand/v2";"os";"strconv")
func TestTmpBuild(t *testing.T){
	if os.Getenv("TMPBUILD")=="" { t.Skip() }
	total, _ := strconv.Atoi(os.Getenv("TMPBUILD"))
	batch, _ := strconv.Atoi(os.Getenv("TMPBATCH"))
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "b.db")
	s, err := Open(ctx, path); if err != nil { t.Fatal(err) }
	defer s.Close()
	cs, _ := benchCustomers(ctx, s, 50)
	rng := rand.New(rand.NewPCG(1, 2))
	var ins time.Duration
	for done := 0; done < total; done += batch {
		b := benchInvitations(rng, cs, done, batch)
		t0 := time.Now()
		if err := s.InsertInvitations(ctx, b); err != nil { t.Fatal(err) }
		ins += time.Since(t0)
	}
	t.Logf("%d rows in batches of %d: insert %v (%.0f rows/s)", total, batch, ins.Round(time.Millisecond), float64(total)/ins.Seconds())
}
