import { AppException } from '#src/core/errors/app.exception';

export enum CatalogErrorCode {
  InvalidCatalog = 'invalid_catalog',
  UrlRefused = 'catalog_url_refused',
  FetchFailed = 'catalog_fetch_failed',
  ProviderNotFound = 'provider_not_found',
}

/** Catalog import failures: a bad body or URL is 400, a URL that could not be read is 502. */
export class CatalogException extends AppException {
  static invalid(message: string): CatalogException {
    return new CatalogException(CatalogErrorCode.InvalidCatalog, 400, message);
  }

  static urlRefused(message: string): CatalogException {
    return new CatalogException(CatalogErrorCode.UrlRefused, 400, message);
  }

  static privateAddress(what: string): CatalogException {
    return new CatalogException(
      CatalogErrorCode.UrlRefused,
      400,
      `url resolves to a loopback or private address: ${what} (set CATALOG_ALLOW_PRIVATE_URLS=true to allow)`,
    );
  }

  static linkLocalAddress(what: string): CatalogException {
    return new CatalogException(
      CatalogErrorCode.UrlRefused,
      400,
      `url resolves to a link-local or metadata address: ${what} (never fetched, whatever the settings)`,
    );
  }

  /** The refusal of the shared address policy, in catalog terms. */
  static addressRefused(refused: { host: string; address: string; always: boolean }): CatalogException {
    const what = refused.host === refused.address ? refused.host : `${refused.host} (${refused.address})`;
    return refused.always ? CatalogException.linkLocalAddress(what) : CatalogException.privateAddress(what);
  }

  static fetchFailed(message: string): CatalogException {
    return new CatalogException(CatalogErrorCode.FetchFailed, 502, `catalog fetch failed: ${message}`);
  }

  static providerNotFound(id: string): CatalogException {
    return new CatalogException(CatalogErrorCode.ProviderNotFound, 400, `provider_id ${id} does not exist`);
  }
}
