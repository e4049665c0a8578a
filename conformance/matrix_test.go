package conformance_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/mqttx/mqttx/conformance"
)

const matrixFile = "../docs/conformance/coverage.md"

// TestCoverageMatrix fails when a statement that binds the broker (server,
// both, codec) is neither covered by a check nor explained, when an
// explanation is left on a covered statement, or when the committed matrix
// differs from the generated one (run `go generate ./conformance/`).
func TestCoverageMatrix(t *testing.T) {
	rows, err := conformance.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Status == conformance.StatusMissing {
			t.Errorf("%s (%s, %s): no check and no reason why it cannot be tested", r.Qualified(), r.Role, r.Summary)
		}
		if r.Status == conformance.StatusCovered && r.Untestable != "" {
			t.Errorf("%s is covered by %v but the catalogue still says it cannot be tested", r.Qualified(), r.Checks)
		}
	}
	for _, v := range []string{"v5", "v3.1.1"} {
		c := conformance.MatrixCounts(rows, v)
		t.Logf("%s: %d statements, %d covered, %d untestable, %d client-only", v, c["total"], c[conformance.StatusCovered], c[conformance.StatusUntestable], c[conformance.StatusClient])
	}
	want := conformance.MatrixMarkdown(rows)
	got, err := os.ReadFile(matrixFile)
	if err != nil {
		t.Fatalf("%v (generate it with `go generate ./conformance/`)", err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: run `go generate ./conformance/`", matrixFile)
	}
}

// TestCatalogMatchesSpec checks the catalogue against the specification
// tables when they are on the machine (/work/shared/spec or
// MQTTCHECK_SPEC_DIR): the same ids, in the same order, with the same roles.
func TestCatalogMatchesSpec(t *testing.T) {
	dir := os.Getenv("MQTTCHECK_SPEC_DIR")
	if dir == "" {
		dir = "/work/shared/spec"
	}
	cat, err := conformance.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ version, file string }{{"v5", "mqtt-v5.0-statements.tsv"}, {"v3.1.1", "mqtt-v3.1.1-statements.tsv"}} {
		fh, err := os.Open(dir + "/" + f.file)
		if err != nil {
			t.Skipf("specification tables not available: %v", err)
		}
		var want []string
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			fs := strings.Split(sc.Text(), "\t")
			if len(fs) < 3 || fs[0] == "id" {
				continue
			}
			want = append(want, fs[0]+" "+fs[2])
		}
		fh.Close()
		var got []string
		for _, s := range cat {
			if s.Version == f.version {
				got = append(got, s.ID+" "+s.Role)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: catalogue ids/roles differ from %s", f.version, f.file)
		}
	}
}
