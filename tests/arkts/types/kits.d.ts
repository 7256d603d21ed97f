// Declarations of the HarmonyOS kits the paysign ArkTS code uses, written from the public API
// reference (API 12) for the members used here only. They let ohos-typescript type-check and
// ArkTS-lint the .ets files on a machine without the HarmonyOS SDK; DevEco uses the real SDK.

declare module '@kit.BasicServicesKit' {
  export interface BusinessError<T = void> extends Error {
    code: number;
    data?: T;
  }
  export type AsyncCallback<T, E = void> = (err: BusinessError<E>, data: T) => void;

  export namespace systemDateTime {
    enum TimeType {
      STARTUP = 0,
      ACTIVE = 1
    }
    /** Time since boot; STARTUP counts deep sleep, ACTIVE does not. Milliseconds unless isNanoseconds. */
    function getUptime(timeType: TimeType, isNanoseconds?: boolean): number;
  }
}

declare module '@kit.AbilityKit' {
  import { AsyncCallback } from '@kit.BasicServicesKit';

  export class Context {
    readonly bundleCodeDir: string;
    readonly filesDir: string;
  }

  export class UIAbilityContext extends Context {
    terminateSelf(): Promise<void>;
  }

  export namespace common {
    type Context = import('@kit.AbilityKit').Context;
    type UIAbilityContext = import('@kit.AbilityKit').UIAbilityContext;
  }

  export interface Want {
    bundleName?: string;
    abilityName?: string;
  }

  export namespace AbilityConstant {
    interface LaunchParam {
      launchReason: number;
    }
  }

  export class UIAbility {
    context: UIAbilityContext;
    onCreate(want: Want, launchParam: AbilityConstant.LaunchParam): void;
    onDestroy(): void;
    onWindowStageCreate(windowStage: import('@kit.ArkUI').window.WindowStage): void;
    onWindowStageDestroy(): void;
    onForeground(): void;
    onBackground(): void;
  }

  export namespace abilityDelegatorRegistry {
    interface AbilityDelegator {
      getAppContext(): Context;
      printSync(msg: string): void;
    }
    function getAbilityDelegator(): AbilityDelegator;
  }

  export type Callback<T> = AsyncCallback<T>;
}

declare module '@kit.TestKit' {
  export { abilityDelegatorRegistry } from '@kit.AbilityKit';
}

declare module '@kit.ArkUI' {
  import { AsyncCallback } from '@kit.BasicServicesKit';
  export namespace window {
    interface WindowStage {
      loadContent(path: string, callback: AsyncCallback<void>): void;
      loadContent(path: string): Promise<void>;
    }
  }
}

declare module '@kit.PaymentKit' {
  import { common } from '@kit.AbilityKit';
  import { AsyncCallback } from '@kit.BasicServicesKit';
  export namespace paymentService {
    function requestPayment(context: common.UIAbilityContext, orderStr: string): Promise<void>;
    function requestPayment(context: common.UIAbilityContext, orderStr: string, callback: AsyncCallback<void>): void;
  }
}

declare module '@kit.NetworkKit' {
  import { AsyncCallback } from '@kit.BasicServicesKit';
  export namespace http {
    enum RequestMethod {
      OPTIONS = 'OPTIONS',
      GET = 'GET',
      HEAD = 'HEAD',
      POST = 'POST',
      PUT = 'PUT',
      DELETE = 'DELETE',
      TRACE = 'TRACE',
      CONNECT = 'CONNECT'
    }
    enum HttpDataType {
      STRING = 0,
      OBJECT = 1,
      ARRAY_BUFFER = 2
    }
    interface HttpRequestOptions {
      method?: RequestMethod;
      extraData?: string | Object | ArrayBuffer;
      expectDataType?: HttpDataType;
      usingCache?: boolean;
      header?: Object;
      readTimeout?: number;
      connectTimeout?: number;
    }
    interface HttpResponse {
      result: string | Object | ArrayBuffer;
      resultType: HttpDataType;
      responseCode: number;
      header: Object;
    }
    interface HttpRequest {
      request(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
      request(url: string, options: HttpRequestOptions, callback: AsyncCallback<HttpResponse>): void;
      destroy(): void;
    }
    function createHttp(): HttpRequest;
  }
}

declare module '@kit.PerformanceAnalysisKit' {
  export namespace hilog {
    function debug(domain: number, tag: string, format: string, ...args: (string | number | boolean)[]): void;
    function info(domain: number, tag: string, format: string, ...args: (string | number | boolean)[]): void;
    function warn(domain: number, tag: string, format: string, ...args: (string | number | boolean)[]): void;
    function error(domain: number, tag: string, format: string, ...args: (string | number | boolean)[]): void;
  }
}

declare module '@kit.ArkTS' {
  export namespace util {
    /** A random RFC 4122 version 4 UUID. */
    function generateRandomUUID(entityCheck?: boolean): string;
  }
}

declare module '@kit.ArkData' {
  import { Context } from '@kit.AbilityKit';
  export namespace preferences {
    type ValueType = number | string | boolean;
    interface Options {
      name: string;
    }
    interface Preferences {
      get(key: string, defValue: ValueType): Promise<ValueType>;
      has(key: string): Promise<boolean>;
      put(key: string, value: ValueType): Promise<void>;
      delete(key: string): Promise<void>;
      flush(): Promise<void>;
    }
    function getPreferences(context: Context, options: Options): Promise<Preferences>;
  }
}
