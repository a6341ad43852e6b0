// The privacy face (docs/privacy.md): a person's data under the LGPD, found, exported, erased.
export {}
