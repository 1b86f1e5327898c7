// Small exports written by the tests, and paths of the real ones.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

inline std::string fixture(const std::string& name) {
    std::string path = std::string(NESSUS_FIXTURES) + "/" + name;
    EXPECT_TRUE(std::filesystem::exists(path))
        << "missing fixture " << path
        << " (set SCANORCH_NESSUS_FIXTURES to the real exports' directory, docs/AUTH_DETECTION.md §6)";
    return path;
}

/// A temporary file removed when the test ends.
class TempFile {
public:
    explicit TempFile(const std::string& content) {
        path_ = (std::filesystem::temp_directory_path() /
                 ("scanorch-validator-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++) + ".nessus"))
                    .string();
        std::ofstream(path_, std::ios::binary) << content;
    }
    ~TempFile() { std::filesystem::remove(path_); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }

private:
    static int& counter() {
        static int n = 0;
        return n;
    }
    std::string path_;
};

/// One ReportItem.
inline std::string item(const std::string& id, int severity, const std::string& output = "",
                        const std::string& family = "General", const std::string& name = "Plugin",
                        const std::string& port = "0") {
    return "<ReportItem port=\"" + port + "\" svc_name=\"general\" protocol=\"tcp\" severity=\"" +
           std::to_string(severity) + "\" pluginID=\"" + id + "\" pluginName=\"" + name + "\" pluginFamily=\"" +
           family + "\"><plugin_type>remote</plugin_type>" +
           (output.empty() ? std::string() : "<plugin_output>" + output + "</plugin_output>") + "</ReportItem>\n";
}

/// One ReportHost with the given items (and optional extra tags).
inline std::string host(const std::string& name, const std::string& items, const std::string& tags = "",
                        bool ended = true) {
    return "<ReportHost name=\"" + name +
           "\"><HostProperties>\n<tag name=\"HOST_START\">Mon Jan 1 10:00:00 2024</tag>" +
           (ended ? "<tag name=\"HOST_END\">Mon Jan 1 10:30:00 2024</tag>" : "") + "<tag name=\"host-ip\">" + name +
           "</tag>" + tags + "</HostProperties>\n" + items + "</ReportHost>\n";
}

/// A complete export around the given hosts (padded past the 500-byte floor).
inline std::string report(const std::string& hosts) {
    return "<?xml version=\"1.0\" ?>\n<NessusClientData_v2>\n<Policy><policyName>Basic Network Scan</policyName>"
           "<Preferences><ServerPreferences><preference><name>TARGET</name><value>192.0.2.0/29</value></preference>"
           "<preference><name>plugin_set</name><value>10180;10919;11219;19506;21745;22869;104410;110095;141118;"
           "117887;117886;110723;110385;102094;117885;10428;24786;26917;12634;97993;20811;14272</value></preference>"
           "</ServerPreferences></Preferences></Policy>\n<Report name=\"test\" xmlns:cm=\"http://www.nessus.org/cm\">\n" +
           hosts + "</Report>\n</NessusClientData_v2>\n";
}

inline std::string scan_info(const std::string& credentialed_line) {
    return item("19506", 0,
                "Information about this scan : \n\nNessus version : 10.6.4\nThorough tests : no\n" + credentialed_line +
                    "\nPatch management checks : None\n",
                "Settings", "Nessus Scan Information");
}
