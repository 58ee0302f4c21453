// node validate.mjs FILE.json...: each FILE holds the documents of one
// manifest (converted from YAML by check_k8s_schema.sh). Every document
// is validated against the Kubernetes API schema of its apiVersion and
// kind (kubernetes-models; the ServiceMonitor against the Prometheus
// Operator's, @kubernetes-models/prometheus-operator), offline. A
// self-check first: a document with a wrong type must be rejected.
import { readFileSync } from "node:fs";
import { basename } from "node:path";

async function model(doc) {
  const av = doc.apiVersion || "";
  const [group, version] = av.includes("/") ? av.split("/") : ["", av];
  const mod = group === "monitoring.coreos.com"
    ? `@kubernetes-models/prometheus-operator/${av}/${doc.kind}`
    : `kubernetes-models/${group ? group + "/" : ""}${version}/${doc.kind}`;
  return (await import(mod))[doc.kind];
}

let fails = 0;
const files = process.argv.slice(2);
for (const f of files) {
  const docs = JSON.parse(readFileSync(f, "utf8"));
  for (const d of docs) {
    const where = `${basename(f, ".json")}: ${d.kind} ${d.metadata?.name}`;
    let C;
    try {
      C = await model(d);
    } catch (e) {
      console.log(`FAIL: ${where}: no schema for ${d.apiVersion} ${d.kind}`);
      fails++;
      continue;
    }
    try {
      new C(d).validate();
      console.log(`ok: ${where} conforms to the ${d.apiVersion} ${d.kind} schema`);
    } catch (e) {
      console.log(`FAIL: ${where}: ${e.message}`);
      fails++;
    }
    // The validator can fail: a name of the wrong type is refused.
    const bad = structuredClone(d);
    bad.metadata = { ...bad.metadata, name: 5 };
    let refused = false;
    try { new C(bad).validate(); } catch (e) { refused = true; }
    if (!refused) {
      console.log(`FAIL: ${where}: self-check: a numeric metadata.name was accepted`);
      fails++;
    }
  }
}
console.log(fails ? `k8s schema: ${fails} failure(s)` : "k8s schema: every document conforms");
process.exit(fails ? 1 : 0);
