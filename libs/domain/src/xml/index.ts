// Root exports are prefixed (xmlElement, escapeXmlAttr...) so they read clearly from '@hvs/domain'.
export { el as xmlElement, text as xmlText, serializeXml, escapeAttr as escapeXmlAttr, escapeText as escapeXmlText } from './builder';
export type { XmlAttrValue, XmlChild, XmlElement, XmlNode, XmlText } from './builder';
export { buildDomain, HVS_XMLNS, renderDomainXml } from './domain-xml';
export { cloudInitSeedPath } from './disks';
export { SERIAL_LOG_DIR, serialLogPath } from './devices';
export type { HostFacts, SecurityModel } from './host-facts';
export { explicitPaths, type ExplicitPath } from './explicit-paths';
export { defaultMac, diskFileName, domainUuid, seedFileName, tapName, vmDomainName, vmIdentity } from './naming';
