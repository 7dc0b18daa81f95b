"""The agreement as data: parties, line of contact, zones, rules, threshold, response."""
