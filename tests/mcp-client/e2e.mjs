// The official MCP TypeScript SDK client against scanorch's /mcp: initialize,
// list tools, run a trusted scan against the emulator, poll get_scan_status
// until it completes, read get_scan_results (two pages by cursor), find the
// scan's findings with search_findings, and ask compare_scans for a previous
// scan of the same targets (there is none).
//   node e2e.mjs http://127.0.0.1:PORT/mcp      (MCP_TOKEN for a bearer token)
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const fail = (message) => {
  console.error(`FAIL: ${message}`);
  process.exit(1);
};
const url = new URL(process.argv[2]);
const headers = process.env.MCP_TOKEN ? { Authorization: `Bearer ${process.env.MCP_TOKEN}` } : {};
const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
const client = new Client({ name: "scanorch-e2e", version: "1.0.0" });
await client.connect(transport);
console.log(`ok initialize: ${client.getServerVersion().name} ${client.getServerVersion().version}, session ${transport.sessionId}`);

const { tools } = await client.listTools();
const names = tools.map((t) => t.name);
for (const n of ["run_untrusted_scan", "run_trusted_scan", "run_privileged_scan", "get_scan_status", "get_scan_results",
  "search_findings", "compare_scans"]) {
  if (!names.includes(n)) fail(`tools/list lacks ${n}`);
}
console.log(`ok tools/list: ${names.length} tools`);

// The SDK client checks structuredContent against each tool's outputSchema.
const started = await client.callTool({
  name: "run_trusted_scan",
  arguments: { targets: "192.0.2.30-31", name: "SDK end-to-end", ssh_username: "scan", ssh_password: "scanpw" },
});
if (started.isError) fail(`run_trusted_scan: ${started.content[0].text}`);
const taskId = started.structuredContent.task_id;
console.log(`ok run_trusted_scan: task ${taskId} queued on ${started.structuredContent.queue}`);

let status;
for (let i = 0; i < 240; i++) {
  const r = await client.callTool({ name: "get_scan_status", arguments: { task_id: taskId } });
  if (r.isError) fail(`get_scan_status: ${r.content[0].text}`);
  status = r.structuredContent;
  if (status.status === "completed" || status.status === "failed") break;
  await new Promise((resolve) => setTimeout(resolve, 250));
}
if (status.status !== "completed") fail(`scan ended ${status.status}: ${status.error}`);
if (status.authentication_status !== "success") fail(`authentication_status ${status.authentication_status}`);
if (status.results_summary.hosts_scanned !== 2) fail(`hosts_scanned ${status.results_summary.hosts_scanned}`);
console.log(`ok get_scan_status: completed, authentication ${status.authentication_status}, ` +
  `${status.results_summary.total_vulnerabilities} vulnerabilities on ${status.results_summary.hosts_scanned} hosts`);

const results = await client.callTool({
  name: "get_scan_results",
  arguments: { task_id: taskId, page_size: 5, schema_profile: "summary", filters: { min_severity: "medium" } },
});
if (results.isError) fail(`get_scan_results: ${results.content[0].text}`);
const page = results.structuredContent;
if (page.findings.length === 0 || page.findings.length > 5) fail(`page of ${page.findings.length} findings`);
if (page.findings.some((f) => f.severity < 2)) fail("the min_severity filter let a low finding through");
console.log(`ok get_scan_results: ${page.findings.length} of ${page.total_matching} findings (severity >= medium)`);
if (page.total_matching > 5) {
  if (!page.next_cursor) fail(`${page.total_matching} matching findings but no next_cursor after 5`);
  const next = await client.callTool({
    name: "get_scan_results",
    arguments: { task_id: taskId, page_size: 5, schema_profile: "summary", filters: { min_severity: "medium" }, cursor: page.next_cursor },
  });
  if (next.isError) fail(`get_scan_results page 2: ${next.content[0].text}`);
  if ("total_matching" in next.structuredContent) fail("totals repeated after the first page");
  const key = (f) => `${f.host}/${f.port}/${f.protocol}/${f.plugin_id}`;
  const first = new Set(page.findings.map(key));
  if (next.structuredContent.findings.some((f) => first.has(key(f)))) fail("page 2 repeats a finding of page 1");
  console.log(`ok get_scan_results page 2 by cursor: ${next.structuredContent.findings.length} more findings`);
}

const search = await client.callTool({ name: "search_findings", arguments: { host: "192.0.2.30", limit: 500 } });
if (search.isError) fail(`search_findings: ${search.content[0].text}`);
const hits = search.structuredContent.findings.filter((f) => f.task_id === taskId);
if (hits.length === 0) fail("search_findings by host found none of the scan's findings");
if (search.structuredContent.findings.some((f) => f.host !== "192.0.2.30" && f.host_ip !== "192.0.2.30")) {
  fail("search_findings by host returned another host");
}
console.log(`ok search_findings: ${hits.length} findings of this scan on 192.0.2.30`);

const compared = await client.callTool({ name: "compare_scans", arguments: { task_id: taskId } });
if (!compared.isError || !compared.content[0].text.includes("no completed scan of the same targets")) {
  fail(`compare_scans with no earlier scan: ${JSON.stringify(compared.content)}`);
}
console.log(`ok compare_scans without an earlier scan refused: ${compared.content[0].text}`);

const refused = await client.callTool({ name: "run_untrusted_scan", arguments: { targets: "203.0.113.5", name: "out of scope" } });
if (!refused.isError) fail("a target outside the scope was accepted");
console.log(`ok out-of-scope target refused as a tool error: ${refused.content[0].text}`);

await transport.terminateSession();
await client.close();
console.log("ok session ended");
