"""MAGDA Documentendienst: eBox, paper (bpost) and e-mail delivery of PDF documents."""
