import { AppException } from '#src/core/errors/app.exception';
import { ResourceErrorCode, ResourceException } from '#src/core/errors/resource.exception';

/** Webhook management failures (the admin API maps them to 400, 404 and 409). */
export class AlertsException extends ResourceException {
  static webhookNotFound(id: string): AlertsException {
    return new AlertsException(ResourceErrorCode.NotFound, `Webhook ${id} not found`);
  }

  static deliveryNotFound(id: string): AlertsException {
    return new AlertsException(ResourceErrorCode.NotFound, `Delivery ${id} not found`);
  }

  static deliveryInFlight(id: string): AlertsException {
    return new AlertsException(ResourceErrorCode.Conflict, `Delivery ${id} is being sent right now; try again shortly`);
  }

  static invalidUrl(message: string): AlertsException {
    return new AlertsException(ResourceErrorCode.Invalid, message);
  }
}

/** A POST that failed: thrown by the delivery job so BullMQ retries it with backoff. */
export class WebhookDeliveryError extends AppException {
  constructor(deliveryId: string, reason: string) {
    super('webhook_delivery_failed', 502, `delivery ${deliveryId} failed: ${reason}`);
  }
}
