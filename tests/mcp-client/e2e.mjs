// The official MCP TypeScript SDK client against scanorch's /mcp: initialize,
// list tools, run a trusted scan against the emulator, poll get_scan_status
// until it completes, read get_scan_results.
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
for (const n of ["run_untrusted_scan", "run_trusted_scan", "run_privileged_scan", "get_scan_status", "get_scan_results"]) {
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
  arguments: { task_id: taskId, page: 1, page_size: 5, schema_profile: "summary", filters: { min_severity: "medium" } },
});
if (results.isError) fail(`get_scan_results: ${results.content[0].text}`);
const page = results.structuredContent;
if (page.findings.length === 0 || page.findings.length > 5) fail(`page of ${page.findings.length} findings`);
if (page.findings.some((f) => f.severity < 2)) fail("the min_severity filter let a low finding through");
console.log(`ok get_scan_results: ${page.findings.length} of ${page.total_matching} findings (severity >= medium)`);

const refused = await client.callTool({ name: "run_untrusted_scan", arguments: { targets: "203.0.113.5", name: "out of scope" } });
if (!refused.isError) fail("a target outside the scope was accepted");
console.log(`ok out-of-scope target refused as a tool error: ${refused.content[0].text}`);

await transport.terminateSession();
await client.close();
console.log("ok session ended");
