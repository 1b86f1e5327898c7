// Every form of 19506's "Credentialed checks" line (docs/AUTH_DETECTION.md §2),
// and the lines that must not be mistaken for it.
#include <gtest/gtest.h>

#include "nessus_reader.h"

namespace nv = scanorch::nessus_validator;

TEST(CredentialedLine, EveryYesForm) {
    for (const char* line :
         {"Credentialed checks : yes", "Credentialed checks : yes, as 'root' via ssh",
          "Credentialed checks : yes, as 'CORP\\administrator' via SMB", "Credentialed checks : yes (on the localhost)",
          "Credentialed checks : yes, via SNMP", "Credentialed checks : yes, via HTTPS",
          "Credentialed checks : yes (as 'admin' via SMB", "Credentialed checks : yes, as 'api', via HTTPS",
          "   Credentialed checks : yes", "Credentialed checks: yes", "credentialed checks : YES"}) {
        std::string text = std::string("Information about this scan :\nThorough tests : no\n") + line +
                           "\nAttempt Least Privilege : no\n";
        std::string seen;
        EXPECT_EQ(nv::parse_credentialed_checks(text, &seen), true) << line;
        EXPECT_FALSE(seen.empty());
    }
}

TEST(CredentialedLine, NoAndAbsent) {
    EXPECT_EQ(nv::parse_credentialed_checks("Safe checks : yes\nCredentialed checks : no\nScan for malware : no\n"),
              false);
    // Lines that carry yes/no but are not the line.
    EXPECT_EQ(nv::parse_credentialed_checks("Safe checks : yes\nThorough tests : no\nExperimental tests : no\n"),
              std::nullopt);
    EXPECT_EQ(nv::parse_credentialed_checks("Display superseded patches : no (supersedence plugin did not launch)\n"),
              std::nullopt);
    // The words inside another line, or an account named "yes".
    EXPECT_EQ(nv::parse_credentialed_checks("Note: Credentialed checks : yes were expected\n"), std::nullopt);
    EXPECT_EQ(nv::parse_credentialed_checks("Credentialed checks were not run\n"), std::nullopt);
    EXPECT_EQ(nv::parse_credentialed_checks("Credentialed checks : yesterday\n"), std::nullopt);
    EXPECT_EQ(nv::parse_credentialed_checks("Credentialed checks : nothing\n"), std::nullopt);
    // Nessus 2-4: no such line at all.
    EXPECT_EQ(nv::parse_credentialed_checks("Information about this scan : \nNessus version : 4.2.0\n"), std::nullopt);
    EXPECT_EQ(nv::parse_credentialed_checks(""), std::nullopt);
}
