"""Decision support: the schedule people carry out, the limits of a plan in words, what would
change it (sensitivity by re-planning) and the one-page negotiation brief."""
