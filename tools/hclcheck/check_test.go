package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func checkFixture(t *testing.T, name string) Result {
	t.Helper()
	path := filepath.Join("testdata", name)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return CheckFile(path, src, Options{Policy: true})
}

func messages(problems []Problem) string {
	var lines []string
	for _, p := range problems {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}

func TestWellFormedFileHasNoProblems(t *testing.T) {
	result := checkFixture(t, "good.tf")
	if len(result.Problems) != 0 {
		t.Fatalf("want no problems, got:\n%s", messages(result.Problems))
	}
	if result.Formatted != nil {
		t.Fatal("a formatted file must not come back with a rewrite")
	}
}

func TestMisalignedEqualsIsAFormatProblemOnItsLine(t *testing.T) {
	result := checkFixture(t, "unformatted.tf")
	if len(result.Problems) != 1 || result.Problems[0].Kind != KindFormat {
		t.Fatalf("want exactly one format problem, got:\n%s", messages(result.Problems))
	}
	if result.Problems[0].Line != 3 {
		t.Errorf("want the first differing line (3, the type attribute), got %d", result.Problems[0].Line)
	}
	// The rewrite aligns the equals signs as terraform fmt does.
	if !bytes.Contains(result.Formatted, []byte("  type        = string")) {
		t.Errorf("rewrite does not align attributes:\n%s", result.Formatted)
	}
}

func TestUnterminatedStringIsAParseError(t *testing.T) {
	result := checkFixture(t, "broken.tf")
	if len(result.Problems) == 0 {
		t.Fatal("want a parse error")
	}
	for _, p := range result.Problems {
		if p.Kind != KindParse {
			t.Errorf("want only parse problems for an unparseable file, got %s", p)
		}
	}
}

func TestAccountIDsAndRegionsAreFlaggedUnlessWaivedWithAReason(t *testing.T) {
	result := checkFixture(t, "literals.tf")
	var lines []int
	for _, p := range result.Problems {
		if p.Kind == KindPolicy {
			lines = append(lines, p.Line)
		}
	}
	// Line 2: account ID; line 3: region; line 4 is waived with a reason;
	// line 5 has the marker without a reason, which does not count.
	want := []int{2, 3, 5}
	if len(lines) != len(want) {
		t.Fatalf("want policy problems on lines %v, got:\n%s", want, messages(result.Problems))
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("want policy problems on lines %v, got %v", want, lines)
		}
	}
}

func TestVariablesNeedTypeAndDescriptionAndCredentialsNoDefault(t *testing.T) {
	result := checkFixture(t, "variables.tf")
	text := messages(result.Problems)
	for _, want := range []string{
		`variable "untyped" has no type`,
		`variable "undescribed" has no description`,
		`variable "api_token" looks like a credential; mark it sensitive = true`,
		`variable "api_token" looks like a credential; it must have no default`,
		`output "nothing" has no description`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	if len(result.Problems) != 5 {
		t.Errorf("want 5 problems, got %d:\n%s", len(result.Problems), text)
	}
}

func TestExampleTfvarsMayNameARegion(t *testing.T) {
	result := checkFixture(t, "example.tfvars.example")
	if len(result.Problems) != 0 {
		t.Fatalf("want no problems, got:\n%s", messages(result.Problems))
	}
}

func TestRunExitCodes(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{filepath.Join("testdata", "good.tf")}, &out, &errOut); code != 0 {
		t.Errorf("good file: want exit 0, got %d (%s%s)", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{filepath.Join("testdata", "unformatted.tf")}, &out, &errOut); code != 1 {
		t.Errorf("unformatted file: want exit 1, got %d", code)
	}
	if !strings.Contains(out.String(), "1 files checked, 1 problems") {
		t.Errorf("summary line missing: %s", out.String())
	}
	if code := run(nil, &out, &errOut); code != 2 {
		t.Errorf("no arguments: want exit 2, got %d", code)
	}
}

func TestWriteFixesFormattingInPlace(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "unformatted.tf"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "main.tf")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"-write", path}, &out, &errOut); code != 0 {
		t.Fatalf("-write: want exit 0, got %d (%s%s)", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{path}, &out, &errOut); code != 0 {
		t.Fatalf("after -write the file must pass, got %d (%s)", code, out.String())
	}
}

func TestHelmValuesAreEvaluatedFromTheTerraformSource(t *testing.T) {
	placeholders := Placeholders{"network": {"public_subnet_ids": cty.TupleVal([]cty.Value{cty.StringVal("subnet-0a")})}}
	part, err := LoadPart(filepath.Join("testdata", "helm-values", "addons"), placeholders)
	if err != nil {
		t.Fatal(err)
	}
	releases, err := HelmReleases(part)
	if err != nil {
		t.Fatal(err)
	}
	if len(releases) != 2 || releases[0].Resource != "helm_release.local" || !releases[0].Local || releases[1].Local {
		t.Fatalf("want the local and the remote release, got %+v", releases)
	}
	local := releases[0]
	if local.Chart != filepath.Join("testdata", "helm-values", "chart") {
		t.Errorf("local chart path %q", local.Chart)
	}
	if len(local.Values) != 2 || local.Values[0] != "fromFile: true\n" {
		t.Fatalf("want the file's text then the yamlencode document, got %q", local.Values)
	}
	// The tfvars example wins over the default; remote state and locals resolve.
	for _, want := range []string{`"198.51.100.0/24"`, `"subnet-0a"`, `"cidr": "192.168.64.0/18"`, `"eks.amazonaws.com/compute-type": "hybrid"`} {
		if !strings.Contains(local.Values[1], want) {
			t.Errorf("values lack %s:\n%s", want, local.Values[1])
		}
	}
	if releases[1].Version != "1.2.3" || !strings.Contains(releases[1].Values[0], `"replicas": 1`) {
		t.Errorf("remote release: %+v", releases[1])
	}
}

func TestHelmValuesThatDependOnApplyAreRefused(t *testing.T) {
	part, err := LoadPart(filepath.Join("testdata", "helm-values", "addons"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := HelmReleases(part); err == nil || !strings.Contains(err.Error(), "helm_release.local.values[1] is not known at plan time") {
		t.Fatalf("want the unknown subnet IDs refused, got %v", err)
	}
}

func TestRoutingPoliciesRejectTheKnownBadParts(t *testing.T) {
	problems, err := RoutingProblems(filepath.Join("testdata", "routing-bad"), nil)
	if err != nil {
		t.Fatal(err)
	}
	text := messages(problems)
	for _, want := range []string{
		"hybrid nodes with a public and private API endpoint",
		"add-on coredns needs a Ready node",
		"add-on kube-proxy needs a Ready node",
		"no all-traffic ingress rule for the remote range 192.168.10.0/24",
		"no all-traffic ingress rule for the remote range 192.168.64.0/18",
		"propagate_public_route_tables_vgw is not true",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	if len(problems) != 6 {
		t.Errorf("want 6 problems, got %d:\n%s", len(problems), text)
	}
}

func TestPublicEndpointMustAdmitTheSite(t *testing.T) {
	problems, err := RoutingProblems(filepath.Join("testdata", "routing-public-no-site"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Message, "does not admit the site's public address 203.0.113.10") {
		t.Fatalf("want exactly the missing site address, got:\n%s", messages(problems))
	}
}
