export { el, text, serializeXml, escapeAttr, escapeText } from './builder';
export type { XmlAttrValue, XmlChild, XmlElement, XmlNode, XmlText } from './builder';
export { buildDomain, HVS_XMLNS, renderDomainXml } from './domain-xml';
export { cloudInitSeedPath } from './disks';
export type { HostFacts } from './host-facts';
export { defaultMac, diskFileName, domainName, domainUuid, tapName } from './naming';
