#!/usr/bin/env python3
"""Writes a large, realistic NessusClientData_v2 export for benchmarks.

    gen_nessus.py OUT.nessus [--hosts 2000] [--items 100] [--auth ok|fail|mixed]

Hosts are numbered in 198.18.0.0/15, the benchmarking range (RFC 2544);
nothing is contacted, they are only names in a file. Each host has
19506, its tags, and --items results with ~1 KB of text each, so 2,000 x 100
is about 200 MB. Streaming output: the generator itself uses little memory.
"""
import argparse
import random

FILLER = ("The remote host is affected by a vulnerability in a component that processes untrusted input. "
          "An attacker could exploit this to execute arbitrary code or cause a denial of service. ") * 4


def host_ip(i):
    return f"198.{18 + i // 65536 % 2}.{i // 256 % 256}.{i % 256}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--hosts", type=int, default=2000)
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--auth", choices=["ok", "fail", "mixed"], default="ok")
    a = ap.parse_args()
    rnd = random.Random(42)
    with open(a.out, "w", buffering=1 << 20) as f:
        f.write('<?xml version="1.0" ?>\n<NessusClientData_v2>\n<Policy><policyName>Bench</policyName>'
                '<Preferences><ServerPreferences><preference><name>plugin_set</name><value>')
        f.write(";".join(str(100000 + n) for n in range(120000)))  # a ~850 KB text node, as real exports have
        f.write('</value></preference></ServerPreferences></Preferences></Policy>\n'
                '<Report name="bench" xmlns:cm="http://www.nessus.org/cm">\n')
        for h in range(a.hosts):
            ok = a.auth == "ok" or (a.auth == "mixed" and h % 2 == 0)
            ip = host_ip(h)
            f.write(f'<ReportHost name="{ip}"><HostProperties>\n<tag name="HOST_START">Mon Jan  1 10:00:00 2024</tag>\n'
                    f'<tag name="host-ip">{ip}</tag>\n<tag name="Credentialed_Scan">{"true" if ok else "false"}</tag>\n'
                    f'<tag name="HOST_END">Mon Jan  1 10:30:00 2024</tag>\n</HostProperties>\n')
            line = "Credentialed checks : yes, as 'scan' via ssh" if ok else "Credentialed checks : no"
            f.write('<ReportItem port="0" svc_name="general" protocol="tcp" severity="0" pluginID="19506" '
                    'pluginName="Nessus Scan Information" pluginFamily="Settings"><plugin_type>summary</plugin_type>'
                    f'<plugin_output>Information about this scan : \n\nNessus version : 10.6.4\n{line}\n</plugin_output></ReportItem>\n')
            if not ok:
                f.write('<ReportItem port="22" svc_name="ssh" protocol="tcp" severity="0" pluginID="104410" '
                        'pluginName="Target Credential Status by Authentication Protocol - Failure for Provided Credentials" '
                        'pluginFamily="Settings"><plugin_output>\n  Protocol : SSH\n  - User : scan\n    Message : '
                        'Authentication failed\n</plugin_output></ReportItem>\n')
            for n in range(a.items - 1):
                sev = rnd.choice((0, 0, 0, 1, 2, 2, 3, 4))
                fam = "Ubuntu Local Security Checks" if ok and n % 3 == 0 else "General"
                f.write(f'<ReportItem port="{rnd.choice((0, 22, 80, 443))}" svc_name="www" protocol="tcp" severity="{sev}" '
                        f'pluginID="{200000 + n}" pluginName="Finding {n} &amp; friends" pluginFamily="{fam}">'
                        f'<plugin_type>local</plugin_type><risk_factor>Medium</risk_factor>'
                        f'<description>{FILLER}</description><solution>Upgrade the package.</solution>'
                        f'<plugin_output>Installed version : 1.{n}\nFixed version : 1.{n + 1}\n</plugin_output></ReportItem>\n')
            f.write('</ReportHost>\n')
        f.write('</Report>\n</NessusClientData_v2>\n')


if __name__ == "__main__":
    main()
